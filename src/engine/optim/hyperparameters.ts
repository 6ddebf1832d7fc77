/** Argument checks shared by the optimizers and schedules (RangeError naming the option). */
export function checkFinite(where: string, name: string, v: number): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`${where}: ${name} must be a finite number, got ${String(v)}.`);
  return v;
}

export function checkNonNegative(where: string, name: string, v: number): number {
  checkFinite(where, name, v);
  if (v < 0) throw new RangeError(`${where}: ${name} must be ≥ 0, got ${v}.`);
  return v;
}

export function checkPositive(where: string, name: string, v: number): number {
  checkFinite(where, name, v);
  if (v <= 0) throw new RangeError(`${where}: ${name} must be > 0, got ${v}.`);
  return v;
}

/** A coefficient in [0, 1) such as a momentum or an Adam beta. */
export function checkUnitInterval(where: string, name: string, v: number): number {
  checkFinite(where, name, v);
  if (v < 0 || v >= 1) throw new RangeError(`${where}: ${name} must be in [0, 1), got ${v}.`);
  return v;
}

export function checkStep(where: string, step: number): number {
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`${where}: step must be a non-negative integer, got ${step}.`);
  return step;
}

/** Argument checks shared by the optimizers and schedules (RangeError naming the option). */
import { optimMessages as msg } from "./messages.js";

export function checkFinite(where: string, name: string, v: number): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(msg.notFinite(where, name, v));
  return v;
}

export function checkNonNegative(where: string, name: string, v: number): number {
  checkFinite(where, name, v);
  if (v < 0) throw new RangeError(msg.negative(where, name, v));
  return v;
}

export function checkPositive(where: string, name: string, v: number): number {
  checkFinite(where, name, v);
  if (v <= 0) throw new RangeError(msg.notPositive(where, name, v));
  return v;
}

/** A coefficient in [0, 1) such as a momentum or an Adam beta. */
export function checkUnitInterval(where: string, name: string, v: number): number {
  checkFinite(where, name, v);
  if (v < 0 || v >= 1) throw new RangeError(msg.notUnitInterval(where, name, v));
  return v;
}

export function checkStep(where: string, step: number): number {
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(msg.badStep(where, step));
  return step;
}

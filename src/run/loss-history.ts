/**
 * The run's loss history, stored in every checkpoint's state so the loss chart survives a resume.
 * Training losses are kept one point per step until MAX_TRAIN_POINTS, then neighbouring points are
 * merged pairwise (means) and each later point covers twice as many steps: a million-step run
 * stores a few thousand points. Validation points are few and kept as they are.
 */
import type { LossPoint } from "../render/loss-chart-spec.js";

export const MAX_TRAIN_POINTS = 4096;

/** The JSON form in state.json: [step, loss] pairs, compact. Non-finite losses are stored as null. */
export interface LossHistoryJson {
  readonly version: 1;
  /** Steps per stored training point (a power of two). */
  readonly stride: number;
  readonly train: readonly (readonly [number, number | null])[];
  readonly validation: readonly (readonly [number, number | null])[];
  /** The partial bucket: sum and count of its finite losses, its last step and how many steps it holds. */
  readonly pending: { readonly sum: number; readonly count: number; readonly step: number; readonly steps: number } | null;
}

function num(v: number | null): number {
  return v === null ? Number.NaN : v;
}

function json(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

export class LossHistory {
  private stride = 1;
  private train: LossPoint[] = [];
  private validation: LossPoint[] = [];
  private pendingSum = 0;
  private pendingCount = 0;
  private pendingSteps = 0;
  private pendingStep = 0;

  /** The training loss of `step`. */
  record(step: number, loss: number): void {
    if (Number.isFinite(loss)) {
      this.pendingSum += loss;
      this.pendingCount++;
    }
    this.pendingSteps++;
    this.pendingStep = step;
    if (this.pendingSteps < this.stride) return;
    this.train.push({ step, loss: this.pendingCount === 0 ? Number.NaN : this.pendingSum / this.pendingCount });
    this.pendingSum = 0;
    this.pendingCount = 0;
    this.pendingSteps = 0;
    if (this.train.length > MAX_TRAIN_POINTS) this.halve();
  }

  recordValidation(step: number, loss: number): void {
    this.validation.push({ step, loss });
  }

  /** Merges neighbouring points (the later step, the mean loss) and doubles the stride. */
  private halve(): void {
    const merged: LossPoint[] = [];
    for (let i = 0; i + 1 < this.train.length; i += 2) {
      const a = this.train[i]!;
      const b = this.train[i + 1]!;
      const finite = [a.loss, b.loss].filter(Number.isFinite);
      merged.push({ step: b.step, loss: finite.length === 0 ? Number.NaN : finite.reduce((x, y) => x + y, 0) / finite.length });
    }
    if (this.train.length % 2 === 1) merged.push(this.train[this.train.length - 1]!);
    this.train = merged;
    this.stride *= 2;
  }

  /** The points for the loss chart (the partial bucket included). */
  points(): { train: LossPoint[]; validation: LossPoint[] } {
    const train = [...this.train];
    if (this.pendingSteps > 0) train.push({ step: this.pendingStep, loss: this.pendingCount === 0 ? Number.NaN : this.pendingSum / this.pendingCount });
    return { train, validation: [...this.validation] };
  }

  /** The newest `n` training losses (to seed the progress display's smoothed loss on resume). */
  recent(n: number): number[] {
    return this.train.slice(-n).map((p) => p.loss);
  }

  get lastValidation(): LossPoint | undefined {
    return this.validation[this.validation.length - 1];
  }

  toJSON(): LossHistoryJson {
    return {
      version: 1,
      stride: this.stride,
      train: this.train.map((p) => [p.step, json(p.loss)] as const),
      validation: this.validation.map((p) => [p.step, json(p.loss)] as const),
      pending: this.pendingSteps === 0 ? null : { sum: this.pendingSum, count: this.pendingCount, step: this.pendingStep, steps: this.pendingSteps },
    };
  }

  /** Reads the JSON form back; undefined if it is not one (an older or foreign state: the chart starts empty). */
  static fromJSON(value: unknown): LossHistory | undefined {
    const v = value as Partial<LossHistoryJson> | null;
    if (typeof v !== "object" || v === null || v.version !== 1 || !Array.isArray(v.train) || !Array.isArray(v.validation)) return undefined;
    const stride = v.stride;
    if (typeof stride !== "number" || !Number.isSafeInteger(stride) || stride < 1) return undefined;
    const pairs = (list: readonly unknown[]): LossPoint[] | undefined => {
      const out: LossPoint[] = [];
      for (const p of list) {
        if (!Array.isArray(p) || typeof p[0] !== "number" || !(typeof p[1] === "number" || p[1] === null)) return undefined;
        out.push({ step: p[0], loss: num(p[1] as number | null) });
      }
      return out;
    };
    const train = pairs(v.train);
    const validation = pairs(v.validation);
    if (train === undefined || validation === undefined) return undefined;
    const h = new LossHistory();
    h.stride = stride;
    h.train = train;
    h.validation = validation;
    const pending = v.pending as { sum?: unknown; count?: unknown; step?: unknown; steps?: unknown } | null | undefined;
    if (pending !== null && pending !== undefined) {
      if (typeof pending.sum !== "number" || typeof pending.count !== "number" || typeof pending.step !== "number" || typeof pending.steps !== "number")
        return undefined;
      h.pendingSum = pending.sum;
      h.pendingCount = pending.count;
      h.pendingStep = pending.step;
      h.pendingSteps = pending.steps;
    }
    return h;
  }
}

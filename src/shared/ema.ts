/**
 * Exponential moving average with bias correction (as in Adam and TensorBoard's smoothing): the
 * raw EMA starts at 0 and is divided by 1 − β^t, so the first values are not pulled toward 0.
 * Shared by the loss chart's smoothed line and the progress display's smoothed loss.
 */
import { sharedMessages } from "./messages.js";

export class Ema {
  private raw = 0;
  private weight = 0;
  private counted = 0;

  /** `beta` in [0, 1): the weight of the past; 0 means no smoothing. */
  constructor(readonly beta: number) {
    if (!(beta >= 0 && beta < 1)) throw new RangeError(sharedMessages.emaBadBeta(beta));
  }

  /** Folds in one value; non-finite values are ignored (a NaN loss must not poison the average). */
  push(value: number): void {
    if (!Number.isFinite(value)) return;
    this.raw = this.beta * this.raw + (1 - this.beta) * value;
    this.weight = this.beta * this.weight + (1 - this.beta);
    this.counted++;
  }

  /** The bias-corrected average, or undefined before the first finite value. */
  get value(): number | undefined {
    // weight = 1 − β^t, accumulated the same way as raw so the ratio is exact in floating point.
    return this.counted === 0 ? undefined : this.raw / this.weight;
  }

  /** How many finite values were folded in. */
  get count(): number {
    return this.counted;
  }
}

/** The bias-corrected EMA after each value (NaN where no finite value has been seen yet). */
export function emaSeries(values: readonly number[], beta: number): number[] {
  const ema = new Ema(beta);
  return values.map((v) => {
    ema.push(v);
    return ema.value ?? NaN;
  });
}

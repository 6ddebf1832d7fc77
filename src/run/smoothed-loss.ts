/**
 * The run's one smoothed training loss: what the live text, the loss chart's dark line, the resume
 * line, the preview captions, metrics.jsonl and TrainResult.loss all call "the loss". It is the
 * bias-corrected EMA with β = 0.98 (about 50 steps) of every step's loss from step 1, non-finite
 * losses left out — computed with exactly the arithmetic of shared/ema.ts's Ema, so the chart,
 * given every step's loss with `smoothing: LOSS_SMOOTHING`, draws the same bits. Its state is in
 * each checkpoint, so a resumed run continues the same number, not a re-seeded one.
 */
export const LOSS_SMOOTHING = 0.98;

export interface SmoothedLossJson {
  readonly raw: number;
  readonly weight: number;
  readonly count: number;
}

export class SmoothedLoss {
  private raw = 0;
  private weight = 0;
  private count = 0;

  /** Folds in one step's loss; NaN and ±Inf are left out (as the chart leaves them out). */
  push(loss: number): void {
    if (!Number.isFinite(loss)) return;
    // The same expressions, in the same order, as Ema.push: the chart's line is bitwise this.
    this.raw = LOSS_SMOOTHING * this.raw + (1 - LOSS_SMOOTHING) * loss;
    this.weight = LOSS_SMOOTHING * this.weight + (1 - LOSS_SMOOTHING);
    this.count++;
  }

  /** The smoothed loss, or undefined before the first finite loss. */
  get value(): number | undefined {
    return this.count === 0 ? undefined : this.raw / this.weight;
  }

  toJSON(): SmoothedLossJson {
    return { raw: this.raw, weight: this.weight, count: this.count };
  }

  static fromJSON(json: SmoothedLossJson): SmoothedLoss {
    const s = new SmoothedLoss();
    s.raw = json.raw;
    s.weight = json.weight;
    s.count = json.count;
    return s;
  }

  /** For a checkpoint written before the state was kept: the same EMA over the losses it recorded. */
  static fromLosses(losses: readonly number[]): SmoothedLoss {
    const s = new SmoothedLoss();
    for (const l of losses) s.push(l);
    return s;
  }
}

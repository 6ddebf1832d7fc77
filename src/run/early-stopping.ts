/**
 * Early stopping: after each evaluation, whether the watched metric improved on its best by more
 * than minDelta; `patience` evaluations in a row without improvement end the run. The counter and
 * the best value are part of every checkpoint's state, so a run interrupted between two
 * evaluations and resumed stops at the same step, with the same state, as the uninterrupted one.
 */
import type { EarlyStoppingOptions } from "./run.js";

export interface EarlyStoppingState {
  /** The best value seen (null before the first finite one). */
  readonly best: number | null;
  readonly bestStep: number | null;
  /** Evaluations in a row without improvement. */
  readonly bad: number;
  /** The step early stopping ended the run at, if it did. */
  readonly stoppedAt: number | null;
}

export type EarlyStoppingVerdict = "improved" | "waiting" | "stop";

export class EarlyStopping {
  private state: EarlyStoppingState;

  constructor(
    readonly options: Required<EarlyStoppingOptions>,
    saved: EarlyStoppingState | undefined,
  ) {
    this.state = saved ?? { best: null, bestStep: null, bad: 0, stoppedAt: null };
  }

  /** One evaluation's metrics at `step`. A missing or non-finite value counts as no improvement. */
  observe(step: number, metrics: Readonly<Record<string, number>>): EarlyStoppingVerdict {
    const { metric, mode, minDelta, patience } = this.options;
    const value = Object.hasOwn(metrics, metric) ? metrics[metric] : undefined;
    const { best } = this.state;
    const improved = value !== undefined && Number.isFinite(value) && (best === null || (mode === "min" ? value < best - minDelta : value > best + minDelta));
    if (improved) {
      this.state = { best: value, bestStep: step, bad: 0, stoppedAt: null };
      return "improved";
    }
    const bad = this.state.bad + 1;
    const stop = bad >= patience;
    this.state = { ...this.state, bad, stoppedAt: stop ? step : null };
    return stop ? "stop" : "waiting";
  }

  /** Whether the saved state already ended the run under these options (a rerun after an early stop; raising patience continues). */
  get alreadyStopped(): boolean {
    return this.state.stoppedAt !== null && this.state.bad >= this.options.patience;
  }

  get current(): EarlyStoppingState {
    return this.state;
  }
}

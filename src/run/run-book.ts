/**
 * The run's bookkeeping between steps — everything besides the session and the data loader that
 * a checkpoint records and a resume restores, in one place:
 *
 *   history        the loss history for the chart (compact, in state.json)
 *   smoothed       the one smoothed loss (smoothed-loss.ts)
 *   best, validation   the best metric so far and the last validation metrics
 *   earlyStopping  its best value and counter (early-stopping.ts)
 *   clock          the time-based save clock (save-clock.ts)
 *   ema            the weights EMA (ema.ts; its values are the checkpoint's "ema" group)
 *   guard          the divergence guard's counters (divergence-guard.ts)
 *   origin         the line of training the run is on (resume-plan.ts)
 *
 * Pure state and arithmetic, and the run state a checkpoint records; the pipeline (resumable.ts)
 * decides when each changes.
 */
import type { DataLoaderCursor } from "../engine/data/batch.js";
import type { JsonObject } from "../engine/nn/json.js";
import type { TrainingState } from "../engine/session/training-session.js";
import type { TensorGroup } from "../tensor.js";
import { DivergenceGuard } from "./divergence-guard.js";
import { EarlyStopping } from "./early-stopping.js";
import { EMA_GROUP, WeightEma } from "./ema.js";
import { LossHistory } from "./loss-history.js";
import { runMessages as msg } from "./messages.js";
import type { ResolvedOptions } from "./options.js";
import type { RunOutput } from "./run-output.js";
import { notebookRecord } from "./notebook-origin.js";
import { RUN_STATE_VERSION, type BestSoFar, type RunModelRecord, type RunOrigin, type RunState } from "./run-state.js";
import { SaveClock } from "./save-clock.js";
import { SmoothedLoss } from "./smoothed-loss.js";

/** The part of a checkpoint's run state the book writes. */
export type BookState = Pick<RunState, "history" | "best" | "validation" | "origin" | "smoothing" | "earlyStopping" | "clock" | "ema" | "divergence">;

export class RunBook {
  validation: Readonly<Record<string, number>> | null = null;
  best: BestSoFar | null = null;
  ema: WeightEma | undefined;

  private constructor(
    readonly history: LossHistory,
    readonly smoothed: SmoothedLoss,
    readonly earlyStopping: EarlyStopping | undefined,
    readonly clock: SaveClock,
    /** The divergence guard (kept across a roll-back: the roll-back counts). */
    public guard: DivergenceGuard,
    public origin: RunOrigin,
  ) {}

  /** A run from step 0. */
  static fresh(o: ResolvedOptions, origin: RunOrigin): RunBook {
    return new RunBook(
      new LossHistory(),
      new SmoothedLoss(),
      o.earlyStopping === undefined ? undefined : new EarlyStopping(o.earlyStopping, undefined),
      new SaveClock(o.clock, o.checkpointMinutes, undefined),
      new DivergenceGuard(o.onNonFinite, undefined),
      origin,
    );
  }

  /** A run continuing from a checkpoint's state. */
  static resumed(o: ResolvedOptions, saved: RunState, origin: RunOrigin): RunBook {
    const history = LossHistory.fromJSON(saved.history) ?? new LossHistory();
    // A checkpoint from before the smoothed loss was kept: the same EMA over the losses it recorded.
    const smoothed =
      saved.smoothing !== undefined ? SmoothedLoss.fromJSON(saved.smoothing) : SmoothedLoss.fromLosses(history.points().train.map((p) => p.loss));
    const book = new RunBook(
      history,
      smoothed,
      o.earlyStopping === undefined ? undefined : new EarlyStopping(o.earlyStopping, sameWatch(o, saved) ? saved.earlyStopping : undefined),
      new SaveClock(o.clock, o.checkpointMinutes, saved.clock),
      new DivergenceGuard(o.onNonFinite, saved.divergence),
      origin,
    );
    book.best = saved.best;
    book.validation = saved.validation;
    return book;
  }

  /**
   * The weights EMA (ema option): from the checkpoint's "ema" group when it has a matching one,
   * else starting from `parameters` now (said, when resuming).
   */
  startEma(
    o: ResolvedOptions,
    parameters: TensorGroup,
    checkpoint: { name: string; tensors: Record<string, TensorGroup>; saved: RunState } | undefined,
    out: RunOutput,
  ): void {
    if (o.ema === undefined) return;
    const group = checkpoint?.tensors[EMA_GROUP];
    const restored =
      group === undefined || checkpoint === undefined ? undefined : WeightEma.restore(o.ema.decay, group, checkpoint.saved.ema?.updates ?? 0, parameters);
    if (restored === undefined && checkpoint !== undefined) out.info(msg.emaStarted(checkpoint.name));
    this.ema = restored ?? WeightEma.start(o.ema.decay, parameters);
  }

  /** One applied (or skipped) step's loss. */
  recordStep(step: number, loss: number): void {
    this.history.record(step, loss);
    this.smoothed.push(loss);
  }

  /** The tensor groups the book adds to a checkpoint ("ema"), shaped like the model's parameters. */
  tensors(parameters: TensorGroup): Record<string, TensorGroup> {
    return this.ema === undefined ? {} : { [EMA_GROUP]: this.ema.tensors(parameters) };
  }

  /** A checkpoint's whole run state: the run's config and command, the session's and loader's state, the model's record, and the book's. */
  runState(o: ResolvedOptions, config: JsonObject, training: TrainingState, data: DataLoaderCursor, model: RunModelRecord): RunState {
    const notebook = notebookRecord();
    return {
      run: RUN_STATE_VERSION,
      config,
      ...(o.command === undefined ? {} : { command: o.command }),
      ...(o.commandFlags === undefined ? {} : { commandFlags: o.commandFlags }),
      ...(notebook === undefined ? {} : { notebook }),
      training,
      data,
      ...this.state(),
      model,
    };
  }

  state(): BookState {
    return {
      history: this.history.toJSON(),
      best: this.best,
      validation: this.validation,
      origin: this.origin,
      smoothing: this.smoothed.toJSON(),
      ...(this.earlyStopping === undefined ? {} : { earlyStopping: this.earlyStopping.current }),
      clock: this.clock.toJSON(),
      ...(this.ema === undefined ? {} : { ema: this.ema.toJSON() }),
      divergence: this.guard.current,
    };
  }
}

/** Whether the checkpoint's early-stopping state watched the metric and direction this run watches (else it starts afresh). */
function sameWatch(o: ResolvedOptions, saved: RunState): boolean {
  const before = saved.config["earlyStopping"];
  const now = o.earlyStopping;
  if (now === undefined || typeof before !== "object" || before === null || Array.isArray(before)) return false;
  return (before as Record<string, unknown>)["metric"] === now.metric && (before as Record<string, unknown>)["mode"] === now.mode;
}

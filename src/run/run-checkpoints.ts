/**
 * What a checkpoint of this run holds and what must be on disk before and beside it: the saves
 * (run-saves.ts) ask this for the checkpoint of the session's current step — the session's state
 * dict, the run's state (run-state.ts: the book, the data cursor, the config, the model's
 * fingerprint and stored graphs), the smoothed loss and the validation metrics — and for the
 * parameters the previews draw (the EMA's when the run keeps one).
 */
import type { CheckpointKind, Metrics, SaveRequest } from "../checkpoint/store.js";
import type { Batch } from "../engine/data/batch.js";
import type { DataLoader } from "../engine/data/data-loader.js";
import type { JsonObject } from "../engine/nn/json.js";
import type { TrainingSession } from "../engine/session/training-session.js";
import { errorMessage } from "../shared/error-message.js";
import type { TensorGroup } from "../tensor.js";
import { runMessages as msg } from "./messages.js";
import type { RunContext } from "./run-context.js";
import { chartData, writeLossChart } from "./run-record.js";
import type { SaveSource } from "./run-saves.js";

export class RunCheckpoints implements SaveSource {
  private graphsBuilt = false;

  constructor(
    private readonly ctx: RunContext,
    private readonly session: TrainingSession<Batch>,
    private readonly loader: DataLoader,
  ) {}

  get ema(): boolean {
    return this.ctx.o.ema !== undefined;
  }

  /** Before a checkpoint is requested: the model's graphs stored, metrics.jsonl durable up to this step. */
  async prepare(): Promise<void> {
    await this.graphsReady();
    try {
      await this.ctx.metricsLog?.flush();
    } catch (error) {
      this.ctx.warnRecord("metrics.jsonl", error);
    }
  }

  /** The checkpoint of the session's current step. */
  request(kind: CheckpointKind, evalMetrics: Readonly<Record<string, number>> | undefined): SaveRequest & { metrics: Metrics } {
    const { ctx, session, loader } = this;
    const book = ctx.requireBook();
    // The session's buffers, not copies: a step replaces its buffers and never writes into them
    // (and saveInBackground copies them before it returns anyway).
    const dict = session.stateDict();
    const state = book.runState(ctx.o, ctx.config, dict.state, loader.cursor(), {
      fingerprint: session.modelFingerprint,
      graphs: ctx.graphs.records() as unknown as JsonObject[],
      previews: ctx.previews.recorded,
    });
    const loss = ctx.view.smoothedLoss();
    const metrics: Metrics = { ...(loss === undefined ? {} : { loss }), ...(evalMetrics ?? {}) };
    const tensors = { model: dict.tensors.model, optimizer: dict.tensors.optimizer, ...book.tensors(dict.tensors.model) };
    return { kind, step: session.stepCount, epoch: loader.epoch, tensors, state, metrics };
  }

  /** What previews draw at a checkpoint: the EMA weights when kept, else the session's. */
  parameters(): TensorGroup {
    const parameters = this.session.parameters();
    const ema = this.ctx.book?.ema;
    return ema === undefined ? parameters : ema.tensors(parameters);
  }

  /** After a checkpoint committed: loss.png beside it. */
  async committed(_step: number): Promise<void> {
    const { ctx } = this;
    const book = ctx.book;
    if (book === undefined) return;
    try {
      await writeLossChart(ctx.o.dir, chartData(ctx.metricsLog, book.history), `${ctx.o.name} · loss`);
    } catch (error) {
      ctx.warnRecord("loss.png", error);
    }
  }

  /**
   * The model's graphs on disk before a checkpoint refers to them: built at the first save (batch
   * size 1, what export writes), written once. A failure is warned about: the checkpoint is still
   * saved, without graphs to export from.
   */
  private async graphsReady(): Promise<void> {
    const { ctx } = this;
    try {
      if (!this.graphsBuilt) {
        this.graphsBuilt = true;
        ctx.graphs.buildAll();
      }
      await ctx.graphs.flush();
    } catch (error) {
      ctx.out.warn(msg.graphsNotStored(ctx.o.dir, errorMessage(error)));
    }
  }
}

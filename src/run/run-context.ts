/**
 * What every phase of one train() shares (resumable.ts runs the phases): the options, where the
 * run's output goes, the live view, the previews, the root generator the run's forks come from,
 * and what the phases learn as they go — the store once it is open, the run's book once the run
 * knows where it starts, the saves, the checkpoint resumed from, why the run stopped. The phases
 * are resumable.ts (resolve, verify, resume), training-loop.ts (loop, interrupt, endings) and
 * run-checkpoints.ts (what a checkpoint holds); this object is their common state, so no phase
 * reaches into another's.
 */
import type { CheckpointStore } from "../checkpoint/store.js";
import type { JsonObject } from "../engine/nn/json.js";
import { createGenerator } from "../engine/random/create-generator.js";
import type { Generator } from "../engine/random/generator.js";
import { errorMessage } from "../shared/error-message.js";
import type { TensorGroup } from "../tensor.js";
import { nextCheckpointStep } from "./checkpoint-schedule.js";
import { createRunOutput } from "./create-run-output.js";
import { LiveView } from "./live-view.js";
import { runMessages as msg } from "./messages.js";
import type { MetricsLog } from "./metrics-log.js";
import type { ResolvedOptions } from "./options.js";
import { PreviewPresenter } from "./preview-presenter.js";
import type { RunBook } from "./run-book.js";
import type { RunOutput } from "./run-output.js";
import { createPreviewer } from "./run-previews.js";
import { chartData } from "./run-record.js";
import type { RunSaves } from "./run-saves.js";
import type { CheckpointRecord, RunStopReason, TrainResult, TrainStatus, TrainTimings } from "./run.js";
import { ModelGraphStore } from "./stored-graphs.js";

export class RunContext {
  readonly out: RunOutput;
  /** The run's generator: training, data, evaluation and previews each draw from their own fork. */
  readonly root: Generator;
  readonly samplerMode: "auto" | "thread" | "main";
  readonly view: LiveView;
  readonly previews: PreviewPresenter;
  /** The model's graphs without weights, stored beside the checkpoints (previews, export). */
  readonly graphs: ModelGraphStore;
  readonly startedAt = performance.now();
  readonly startedIso = new Date().toISOString();
  readonly timings: { -readonly [K in keyof TrainTimings]: TrainTimings[K] } = {
    resolved: Number.NaN,
    reusedSession: false,
    compiled: Number.NaN,
    loaded: undefined,
    previewed: undefined,
    previewOffThread: undefined,
    samplerReady: undefined,
    training: undefined,
    firstStep: undefined,
  };
  /** Set once the store is open. */
  store: CheckpointStore | undefined;
  saves: RunSaves | undefined;
  /** Set once the run knows where it starts; a roll-back after divergence replaces it. */
  book: RunBook | undefined;
  metricsLog: MetricsLog | undefined;
  resumedFrom: CheckpointRecord | undefined;
  stoppedBecause = "";
  /** The step the session is at, for the live view's notes (set when training starts and after each step). */
  currentStep = 0;
  private recordWarned = false;

  constructor(
    readonly o: ResolvedOptions,
    readonly config: JsonObject,
  ) {
    this.out = createRunOutput(o.output);
    this.root = createGenerator(o.seed);
    this.samplerMode = o.preview?.sampler ?? "main";
    this.view = new LiveView(
      this.out,
      o.name,
      o.steps,
      () => chartData(this.metricsLog, this.requireBook().history),
      () => this.book?.smoothed.value,
      () => this.notes(),
    );
    this.graphs = new ModelGraphStore(o.dir, o.model);
    let previewer;
    if (o.preview !== undefined) {
      const chosen = createPreviewer(o.model, {
        overrides: {
          ...(o.preview.samples === undefined ? {} : { samples: o.preview.samples }),
          ...(o.preview.samplerSteps === undefined ? {} : { samplerSteps: o.preview.samplerSteps }),
          ...(o.preview.eta === undefined ? {} : { eta: o.preview.eta }),
        },
        threads: o.threads,
        generator: (label) => this.root.fork(label),
        data: o.test ?? o.train,
        sampler: o.preview.sampler === "main" ? "main" : "thread",
        onFallback: (why) => this.out.warn(msg.samplerFallback(why)),
        onUnusable: (kind, why) => this.out.warn(msg.previewUnusable(kind, why)),
        graph: (need) => this.graphs.source(need),
      });
      if ("reason" in chosen) this.out.info(msg.noPreview(chosen.reason));
      else previewer = chosen;
    }
    this.previews = new PreviewPresenter(this.out, o.dir, previewer, this.view);
  }

  requireBook(): RunBook {
    if (this.book === undefined) throw new Error("the run's book is read before the run knows where it starts");
    return this.book;
  }

  /** Milliseconds since train() was called (the timings' clock). */
  elapsed(): number {
    return performance.now() - this.startedAt;
  }

  /** The model's previews of these parameters: shown inline and saved as preview-step-N.* (.png, .txt, .wav…). What their numbers say is wrong (undefined: none drawn). */
  async preview(parameters: TensorGroup, step: number, caption: string, onThisThread: boolean): Promise<readonly string[] | undefined> {
    const offThread = !onThisThread && this.previews.offThread;
    const problems = await this.previews.showOnce(parameters, step, caption, onThisThread);
    if (problems === undefined) return undefined;
    this.timings.previewOffThread = offThread;
    this.timings.previewed = this.elapsed();
    return problems;
  }

  startSampler(): void {
    this.previews.start();
    void this.previews.samplerReady?.then((at) => (this.timings.samplerReady ??= at - this.startedAt));
  }

  /** A file of the run's record (metrics.jsonl, loss.png, summary.json) not written: warned about once, training goes on. */
  warnRecord(what: string, error: unknown): void {
    if (this.recordWarned) return;
    this.recordWarned = true;
    this.out.warn(msg.recordFailed(what, errorMessage(error)));
  }

  /** What train() returns, from where the run is now. */
  result(status: TrainStatus, step: number, startStep: number, reason: RunStopReason | undefined): TrainResult {
    const result: TrainResult = {
      status,
      step,
      startStep,
      steps: this.o.steps,
      resumedFrom: this.resumedFrom,
      checkpoint: this.saves?.lastCheckpoint ?? this.resumedFrom,
      loss: this.view.smoothedLoss(),
      validation: this.book?.validation ?? undefined,
      stopReason: reason,
      stoppedBecause: this.stoppedBecause,
      previewFile: this.previews.previewFile,
      samplesFile: this.previews.samplesFile,
      timings: { ...this.timings },
      saves: { ...(this.saves?.stats ?? { background: 0, synchronous: 0, failed: 0, backgroundCallMs: 0 }) },
      grids: { ...this.previews.stats },
    };
    // A notebook prints a cell's last value: one line, not the whole object.
    Object.defineProperty(result, Symbol.for("nodejs.util.inspect.custom"), {
      enumerable: false,
      value: () => `TrainResult { ${status} at step ${result.step}/${result.steps}${result.checkpoint === undefined ? "" : ` · ${result.checkpoint.name}`} }`,
    });
    return result;
  }

  /** The live view's notes of the moment: when the next checkpoint is due, early stopping's count. */
  private notes(): string[] {
    const book = this.book;
    if (book === undefined || this.view.status !== "training") return [];
    const at = this.o.checkpointEvery === undefined ? undefined : nextCheckpointStep(this.o, this.currentStep);
    const notes = [msg.nextCheckpointNote(at, book.clock.remainingMs)];
    const es = book.earlyStopping;
    if (es !== undefined && es.current.bad > 0) notes.push(msg.earlyStoppingNote(es.options.metric, es.current.bad, es.options.patience));
    return notes;
  }
}

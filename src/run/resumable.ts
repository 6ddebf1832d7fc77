/**
 * resumable(): a training run you can stop at any moment and start again where it stopped — the
 * same flow in a notebook cell, the demo CLI and a plain script. `train()` runs this pipeline
 * (the numbers match the steps in Training.run() below):
 *
 * ```
 *  train() ── runExclusive(dir): an older run of this dir in this process is stopped first
 *    │
 *    ├─ 1. resolve ─────── open dir (writer lock) → load the newest checkpoint that verifies (one
 *    │                      read, every byte hashed); damaged newer ones skipped, and said so
 *    │                      │ none: "starting from scratch" + config
 *    ├─ 2. verify+preview ─ state checked → config diff (unsafe change: stop, say how to
 *    │                      override) → sample grid from the checkpoint's weights (DDIM samples or
 *    │                      labelled predictions) → shown inline + preview-step-N.png
 *    ├─ 3. resume ──────── training session (the previous run's, if it fits) → its state dict: step,
 *    │                      optimizer, schedule, RNG │ data cursor, loss history, best metric
 *    │                      │ already at `steps`: say so, stop
 *    ├─ 4. loop ─────────── step → progress (ONE display updated in place; chart and grid
 *    │        ▲             re-rendered only now and then) → yield to the event loop
 *    │        │
 *    ├─ 5. save ─────────── evalEvery: val metrics │ rolling / epoch / new best: saveInBackground
 *    │        │             (state snapshotted, training goes on while it is written; the sample
 *    │        │             grid renders meanwhile) ┄┄ committed: last checkpoint, samples-step-N.png,
 *    │        │             pruned grids, disk usage │ final: flush, then save (synchronous)
 *    │        └──────────── saves failing (the store's count): warn and go on │ too many: stop
 *    └─ 6. interrupt ────── SIGINT / SIGTERM / a newer run: stop between steps → flush → emergency
 *                           checkpoint → "interrupted at step N — …" → the cell ends
 * ```
 *
 * Every way out of train() (finished, interrupted, saves failing, an error) first waits for the
 * background save in flight and shows how it ended, so nothing is written after train() returns.
 *
 * Exactness: everything that decides the next step — parameters, optimizer moments, step count,
 * the training generator's state and the data cursor — is in each checkpoint; evaluation and
 * previews draw from their own generator forks and never touch it. So a run interrupted and
 * resumed any number of times ends bitwise where an uninterrupted one does.
 */
import { availableParallelism } from "node:os";
import { basename, join } from "node:path";
import { CheckpointErrorCode } from "../checkpoint/messages.js";
import {
  CheckpointStore, type BackgroundSave, type CheckpointKind, type LoadedCheckpoint, type Metrics, type SavedCheckpoint, type SaveRequest,
} from "../checkpoint/store.js";
import { diffConfigs } from "../checkpoint/config-diff.js";
import { NbresumeError, isNbresumeError } from "../errors.js";
import type { Batch } from "../engine/data/batch.js";
import { DataLoader } from "../engine/data/data-loader.js";
import type { JsonObject } from "../engine/nn/json.js";
import type { Model } from "../engine/nn/model.js";
import { createGenerator } from "../engine/random/create-generator.js";
import type { Generator } from "../engine/random/generator.js";
import { createTrainingSession } from "../engine/session/onnx-training-session.js";
import type { TensorGroup } from "../tensor.js";
import type { TrainingSession } from "../engine/session/training-session.js";
import { runExclusive, stopReason } from "../notebook/interrupt.js";
import { renderLossChart } from "../render/loss-chart.js";
import type { RenderedImage } from "../render/mime-bundle.js";
import { createRunOutput } from "./create-run-output.js";
import { LossHistory } from "./loss-history.js";
import { RunErrorCode, runMessages as msg } from "./messages.js";
import { resolveOptions, type ResolvedOptions } from "./options.js";
import type { Previewer } from "./preview.js";
import { createPreviewer } from "./run-previews.js";
import { ModelGraphStore } from "./stored-graphs.js";
import type { RenderedPreview } from "../render/rendered-preview.js";
import type { ProgressContext } from "./progress-format.js";
import { ProgressTracker } from "./progress.js";
import { changeRows, configRows, judgeConfigDiff, runConfig } from "./run-config.js";
import { listRunPictures, previewFileStem, pruneSampleGrids, samplesFileStem, writePreviewFiles } from "./run-files.js";
import type { RunOutput } from "./run-output.js";
import { parseRunState, RUN_STATE_VERSION, type BestSoFar, type RunState } from "./run-state.js";
import type { CheckpointRecord, GridStats, ResumableOptions, Run, RunStopReason, SaveStats, TrainOptions, TrainResult, TrainStatus, TrainTimings } from "./run.js";
import { checkinSession, checkoutSession, hasCachedSession } from "./session-cache.js";

/** Live view redraws: a notebook gets new pictures over the wire each time, a terminal only a line. */
const REFRESH_MS_NOTEBOOK = 1000;
const REFRESH_MS_TERMINAL = 250;
/** The loss chart (vega → SVG → PNG, ~0.1 s) is redrawn after an evaluation, else at most this often. */
const CHART_EVERY_MS = 15_000;
/** A disk-usage line every this many saves (and with the final and emergency checkpoints). */
const DISK_USAGE_EVERY = 5;
/** Training losses that seed the smoothed loss after a resume. */
const SMOOTHING_SEED = 100;

/** A run of `options.model` on `options.data` in `options.dir`; see the pipeline above. Bad options throw TypeError/RangeError naming the option. */
export function resumable(options: ResumableOptions): Run {
  const resolved = resolveOptions(options);
  const config = runConfig(resolved);
  return {
    dir: resolved.dir,
    config,
    // The dir is the key: rerunning the cell stops (and waits for) the previous run of this dir
    // in this process, so there is never a second writer; SIGINT/SIGTERM abort the signal.
    train: (trainOptions?: TrainOptions) => {
      const own = trainOptions?.signal;
      if (own !== undefined && !(own instanceof AbortSignal)) throw new TypeError(msg.badOption("train({ signal })", "an AbortSignal", own));
      return runExclusive(resolved.dir, (signal) => new Training(resolved, config, own === undefined ? signal : AbortSignal.any([signal, own]), own).run());
    },
  };
}

/** What a compiled session depends on; equal keys can share one (session-cache.ts). */
function sessionKey(o: ResolvedOptions): string {
  return JSON.stringify([o.model.config, o.optimizer.config, o.schedule.config, o.batchSize, o.seed, o.clipGradNorm ?? null, o.threads ?? null]);
}

/**
 * Whether the machine has a core the training session leaves free (its onnxruntime threads, 2 by
 * default, while it computes; its compilation uses one), for the sampler thread.
 */
function spareCores(o: ResolvedOptions): boolean {
  return availableParallelism() > (o.threads ?? 2);
}

function yieldToEventLoop(): Promise<void> {
  // onnxruntime's run() blocks while it computes: give signals and I/O a turn between steps.
  return new Promise((resolve) => setImmediate(resolve));
}

function detail(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function record(c: { name: string; path: string; kind: CheckpointKind; step: number }): CheckpointRecord {
  return { name: c.name, path: c.path, kind: c.kind, step: c.step };
}

function lossOf(metrics: Metrics): number | undefined {
  const v = metrics["loss"] ?? metrics["val_loss"];
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/** Failures the store reports to the next call after a background save failed. */
function isReportedFailure(error: unknown): error is NbresumeError {
  return isNbresumeError(error, CheckpointErrorCode.BACKGROUND_SAVE_FAILED) || isNbresumeError(error, CheckpointErrorCode.SAVES_FAILING);
}

/**
 * How a background save's commit ended. `reported` is the store's report of the failure, taken
 * as the commit settles: the next save()/flush() hands out the same object, so it is shown once.
 */
type CommitOutcome = { ok: true; saved: SavedCheckpoint } | { ok: false; error: unknown; reported: NbresumeError | undefined };

/** One call of train(): the pipeline's state, from opening the store to closing it. */
class Training {
  private readonly out: RunOutput;
  private readonly root: Generator;
  private readonly previewer: Previewer | undefined;
  private readonly refreshMs: number;
  private readonly samplerMode: "auto" | "thread" | "main";
  private history = new LossHistory();
  private best: BestSoFar | null = null;
  private validation: Readonly<Record<string, number>> | null = null;
  private resumedFrom: CheckpointRecord | undefined;
  private lastCheckpoint: CheckpointRecord | undefined;
  private previewFile: string | undefined;
  private samplesFile: string | undefined;
  private graphsBuilt = false;
  /** The newest preview's picture, for the live view. */
  private grid: RenderedImage | undefined;
  /** The newest previews beside a checkpoint (shown again when the run finishes). */
  private lastPreviews: readonly RenderedPreview[] | undefined;
  /** The model's graphs without weights, stored beside the checkpoints (previews, export). */
  private readonly graphs: ModelGraphStore;
  private chart: RenderedImage | undefined;
  private chartDirty = true;
  private lastChartAt = Number.NEGATIVE_INFINITY;
  private lastRefreshAt = Number.NEGATIVE_INFINITY;
  /** Checkpoints committed by this train() (the disk-usage line comes every DISK_USAGE_EVERY). */
  private saves = 0;
  private readonly saveStats: { -readonly [K in keyof SaveStats]: SaveStats[K] } = { background: 0, synchronous: 0, failed: 0, backgroundCallMs: 0 };
  private readonly gridStats: { -readonly [K in keyof GridStats]: GridStats[K] } = { offThread: 0, onTrainingThread: 0, skipped: 0, dropped: 0 };
  /** The open store while train() runs: the live view shows its background-save status. */
  private store: CheckpointStore | undefined;
  /** What follows each background save (its grid's PNG, then the work after its commit), in order; never rejects. */
  private sideWork: Promise<void> = Promise.resolve();
  /** Save failures already shown (the store reports each once more, to the next call). */
  private readonly shownFailures = new WeakSet<object>();
  /** The store's CHECKPOINT_SAVES_FAILING: the loop stops before the next step. */
  private savesFailing: NbresumeError | undefined;
  /** The newest disk-usage line: a note in the notebook's live view, a line of its own in a terminal. */
  private diskNote: string | undefined;
  private diskNoteFresh = false;
  private status = "starting";
  private tracker: ProgressTracker | undefined;
  private readonly startedAt = performance.now();
  private readonly timings: { -readonly [K in keyof TrainTimings]: TrainTimings[K] } = {
    resolved: Number.NaN, reusedSession: false, compiled: Number.NaN, loaded: undefined, previewed: undefined, previewOffThread: undefined,
    samplerReady: undefined, training: undefined, firstStep: undefined,
  };

  constructor(
    private readonly o: ResolvedOptions,
    private readonly config: JsonObject,
    private readonly signal: AbortSignal,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    this.out = createRunOutput(o.output);
    this.root = createGenerator(o.seed);
    this.refreshMs = this.out.pictures ? REFRESH_MS_NOTEBOOK : REFRESH_MS_TERMINAL;
    this.samplerMode = o.preview?.sampler ?? "main";
    this.graphs = new ModelGraphStore(o.dir, o.model as Model<never>);
    if (o.preview === undefined) {
      this.previewer = undefined;
    } else {
      const chosen = createPreviewer(o.model as Model<never>, {
        overrides: { samples: o.preview.samples, samplerSteps: o.preview.samplerSteps, eta: o.preview.eta },
        threads: o.threads,
        generator: (label) => this.root.fork(label),
        data: o.test ?? o.train,
        sampler: o.preview.sampler === "main" ? "main" : "thread",
        onFallback: (detail) => this.out.warn(msg.samplerFallback(detail)),
        onUnusable: (kind, detail) => this.out.warn(msg.previewUnusable(kind, detail)),
        graph: (need) => this.graphs.source(need),
      });
      this.previewer = "reason" in chosen ? undefined : chosen;
      if ("reason" in chosen) this.out.info(msg.noPreview(chosen.reason));
    }
  }

  async run(): Promise<TrainResult> {
    try {
      return await this.pipeline();
    } finally {
      // Every way out: no sampler thread left behind (closed earlier on the usual ways out).
      await this.closePreviewer();
    }
  }

  private async pipeline(): Promise<TrainResult> {
    const o = this.o;
    const key = sessionKey(o);
    // Whether the sampler thread draws the resume preview while this thread compiles the training
    // session: then it starts now, beside resolve and load. Otherwise (a reused session leaves
    // nothing to overlap; on 2 cores the overlap was slower, see PreviewOptions.sampler) the
    // preview is drawn here first, and the thread starts just before the loop.
    const overlap = this.previewer?.offThread === true && (this.samplerMode === "thread" || (this.samplerMode === "auto" && !hasCachedSession(key) && spareCores(o)));
    if (overlap) this.startSampler();
    // ── 1. Resolve ─────────────────────────────────────────────────────────────────────────────
    const store = await CheckpointStore.open(o.dir, { ...o.checkpointStore, ...(o.keep === undefined ? {} : { keep: o.keep }), bestMetric: o.bestMetric });
    this.store = store;
    try {
      // Newest first, each candidate read once: the read's hashing is its verification.
      const loaded = await store.resolveAndLoad("auto");
      this.timings.resolved = this.elapsed();
      if (loaded === undefined) {
        this.out.info(msg.startingFromScratch(o.dir));
        const rows = configRows(this.config);
        this.out.table({ title: msg.configTitle(rows.length), columns: ["setting", "value"], rows, collapsed: true });
      } else {
        for (const s of loaded.skipped) this.out.warn(msg.skippedCheckpoint(s.name, s.problem, loaded.name));
      }

      // ── 2. Verify + preview ──────────────────────────────────────────────────────────────────
      let resumed: { loaded: LoadedCheckpoint; saved: RunState } | undefined;
      let preview: Promise<void> | undefined;
      if (loaded !== undefined) {
        const saved = this.checkedState(loaded);
        this.out.info(msg.resolved(loaded.name, loaded.step, loaded.kind, loaded.epoch, lossOf(loaded.metrics)));
        this.checkConfig(loaded, saved);
        resumed = { loaded, saved };
        this.resumedFrom = record(loaded);
        this.lastCheckpoint = this.resumedFrom;
        this.timings.loaded = this.elapsed();
        // From the checkpoint's own weights, before the training graph compiles: seen sooner. On
        // the sampler thread it is drawn while this thread compiles the session (3.), and shown
        // when it arrives, before the first resumed step.
        preview = this.preview(loaded.tensors["model"] ?? {}, loaded.step, msg.previewCaption(loaded.step, lossOf(loaded.metrics), loaded.kind), !overlap);
        preview.catch(() => undefined); // awaited below; handled now, so a failure meanwhile is not "unhandled"
        if (!overlap) await preview;
      }

      // ── 3. Resume exactly: the session (reused from the previous run in this process when it
      // fits, see session-cache.ts), then its state dict and everything else.
      const cached = resumed === undefined ? undefined : checkoutSession(key);
      this.timings.reusedSession = cached !== undefined;
      let session: TrainingSession<Batch>;
      try {
        session =
          cached ??
          (await createTrainingSession({
            model: o.model, optimizer: o.optimizer, schedule: o.schedule, batchSize: o.batchSize, rng: this.root.fork("train"),
            ...(o.clipGradNorm === undefined ? {} : { clipGradNorm: o.clipGradNorm }),
            ...(o.threads === undefined ? {} : { threads: o.threads }),
          }));
      } catch (error) {
        await preview?.catch(() => undefined);
        throw error;
      }
      this.timings.compiled = this.elapsed();
      let reusable = false;
      try {
        // The preview drawn meanwhile: shown before the resumed state is restored and the first step runs.
        await preview;
        // A fresh start's preview: what the initial parameters do (noise, or chance-level guesses).
        if (resumed === undefined) await this.preview(session.parameters(), 0, msg.freshPreviewCaption(), this.samplerMode !== "thread");
        else this.checkFingerprint(session, resumed.loaded, resumed.saved);
        const result = await this.train(store, session, resumed, loaded?.name);
        reusable = true;
        return result;
      } finally {
        // Whatever ended the run: no grid still being drawn (an error or interrupt does not wait
        // for it), no save left in flight, and how each one ended shown.
        await this.closePreviewer();
        await this.settle(store);
        this.out.end();
        if (reusable) await checkinSession(key, session);
        else await session.release();
      }
    } finally {
      this.store = undefined;
      await store.close();
    }
  }

  private async train(store: CheckpointStore, session: TrainingSession<Batch>, resumed: { loaded: LoadedCheckpoint; saved: RunState } | undefined, name: string | undefined): Promise<TrainResult> {
    const o = this.o;
    const loader = new DataLoader(o.train, { batchSize: o.batchSize, generator: this.root.fork("data") });

    // ── 3. Resume exactly (continued) ──────────────────────────────────────────────────────────
    if (resumed !== undefined) {
      const { loaded, saved } = resumed;
      this.loadWeights(session, loaded, saved);
      this.restoreCursor(loader, saved);
      this.history = LossHistory.fromJSON(saved.history) ?? new LossHistory();
      this.best = saved.best;
      this.validation = saved.validation;
    }
    const startStep = session.stepCount;
    if (resumed !== undefined) {
      if (startStep >= o.steps) {
        this.out.info(msg.alreadyFinished(startStep, o.steps, name ?? ""));
        return this.result("already-finished", session, startStep, undefined);
      }
      this.out.info(msg.resumed(startStep, o.steps, loader.epoch, loader.position));
    }
    this.tracker = new ProgressTracker({ total: o.steps, startStep, startTimeMs: performance.now(), lossHistory: this.history.recent(SMOOTHING_SEED) });
    this.timings.training = this.elapsed();
    // Warm by the first checkpoint; its start overlaps the first steps, not the resume.
    this.startSampler();

    // ── 4. Loop with live progress (5. saves inside) ───────────────────────────────────────────
    if (!this.signal.aborted) {
      this.out.info(msg.training(startStep, o.steps));
      this.status = "training";
      await this.refresh(session, loader, false);
    }
    while (session.stepCount < o.steps && !this.signal.aborted && this.savesFailing === undefined) {
      const batch = loader.next();
      const r = await session.step(batch);
      this.timings.firstStep ??= this.elapsed();
      this.history.record(r.step, r.loss);
      this.tracker.record(r.step, performance.now(), r.loss);
      await this.afterStep(store, session, loader, r.step, batch.epochEnded);
      await this.refresh(session, loader, false);
      await yieldToEventLoop();
    }

    // ── 5. Saves kept failing: stop as an interrupt does, then say why ───────────────────────────
    if (this.savesFailing !== undefined && session.stepCount < o.steps) return this.stopSavesFailing(store, session, loader, this.savesFailing);

    // ── 6. Interrupt ───────────────────────────────────────────────────────────────────────────
    if (this.signal.aborted) {
      const reason: RunStopReason = this.callerSignal?.aborted === true ? "aborted" : (stopReason(this.signal) ?? "SIGINT");
      return this.interrupted(store, session, loader, reason, startStep);
    }

    await this.settle(store);
    this.status = "finished";
    this.chartDirty = true;
    await this.refresh(session, loader, true);
    this.out.end();
    if (this.lastPreviews !== undefined && this.samplesFile !== undefined) for (const p of this.lastPreviews) this.out.preview(p, this.samplesFile);
    this.out.info(msg.finished(session.stepCount, this.smoothedLoss(), this.lastCheckpoint?.name ?? "(none)"));
    this.out.info(msg.outputsAt(o.dir));
    return this.result("finished", session, startStep, undefined);
  }

  // ── 2. helpers ───────────────────────────────────────────────────────────────────────────────

  private checkedState(loaded: LoadedCheckpoint): RunState {
    const parsed = parseRunState(loaded.state);
    if ("problem" in parsed) throw new NbresumeError(RunErrorCode.STATE_INVALID, msg.stateInvalid(loaded.name, parsed.problem), { where: loaded.path });
    return parsed.state;
  }

  /**
   * The model's graphs on disk before a checkpoint refers to them: built at the first save (batch
   * size 1, what export writes), written once. A failure is warned about: the checkpoint is still
   * saved, without graphs to export from.
   */
  private async graphsReady(): Promise<void> {
    try {
      if (!this.graphsBuilt) {
        this.graphsBuilt = true;
        this.graphs.buildAll();
      }
      await this.graphs.flush();
    } catch (error) {
      this.out.warn(msg.graphsNotStored(this.o.dir, detail(error)));
    }
  }

  /** The model's code against the checkpoint's: a changed loss graph is a changed model, like a changed config. */
  private checkFingerprint(session: TrainingSession<Batch>, loaded: LoadedCheckpoint, saved: RunState): void {
    const before = saved.model?.fingerprint;
    if (before === undefined || before === session.modelFingerprint) return;
    if (!this.o.allowConfigChange) {
      throw new NbresumeError(RunErrorCode.CONFIG_CHANGED, msg.modelGraphChanged(this.o.dir, loaded.name, before, session.modelFingerprint), { where: loaded.path });
    }
    this.out.warn(msg.modelGraphChangeAllowed(loaded.name));
  }

  private checkConfig(loaded: LoadedCheckpoint, saved: RunState): void {
    const diff = diffConfigs(saved.config, this.config);
    if (diff.same) return;
    const changes = judgeConfigDiff(diff);
    this.out.table({ title: msg.configDiffTitle(), columns: ["setting", "checkpoint → now"], rows: changeRows(changes, msg.severityLabel) });
    const unsafe = changes.filter((c) => c.severity === "unsafe");
    if (unsafe.length === 0) return;
    if (!this.o.allowConfigChange) {
      throw new NbresumeError(RunErrorCode.CONFIG_CHANGED, msg.unsafeConfigChange(this.o.dir, loaded.name, unsafe), { where: loaded.path });
    }
    this.out.warn(msg.configChangeAllowed(unsafe.length));
  }

  private loadWeights(session: TrainingSession<Batch>, loaded: LoadedCheckpoint, saved: RunState): void {
    const tensors = (group: string): TensorGroup => loaded.tensors[group] ?? {};
    const load = (optimizer: TensorGroup): void => session.loadStateDict({ tensors: { model: tensors("model"), optimizer }, state: saved.training });
    try {
      load(tensors("optimizer"));
    } catch (error) {
      if (!isNbresumeError(error, "ENGINE_STATE_MISMATCH")) throw error;
      // An allowed optimizer change: keep the weights, start the new optimizer's state fresh.
      if (this.o.allowConfigChange && error.where?.startsWith("optimizer/") === true) {
        load(session.stateDict().tensors.optimizer);
        return;
      }
      throw new NbresumeError(RunErrorCode.STATE_MISMATCH, msg.stateMismatch(loaded.name, error.message), { where: loaded.path, cause: error });
    }
  }

  /**
   * Starts the previews of these parameters; computed off this thread, they are copied before this
   * returns. Resolves to the previews, "skipped" when a newer request replaced it while the sampler
   * was busy, or undefined: no previewer, closed, or it failed (warned).
   */
  private requestGrid(parameters: TensorGroup, step: number, caption: string, onThisThread = false): Promise<readonly RenderedPreview[] | "skipped" | undefined> {
    if (this.previewer === undefined) return Promise.resolve(undefined);
    return this.previewer.request(parameters, step, caption, { onThisThread }).then(
      (outcome) => {
        if ("previews" in outcome) {
          if (outcome.offThread) this.gridStats.offThread++;
          else this.gridStats.onTrainingThread++;
          return outcome.previews;
        }
        if (outcome.skipped === "superseded") this.gridStats.skipped++;
        else this.gridStats.dropped++;
        return outcome.skipped === "superseded" ? "skipped" : undefined;
      },
      (error: unknown) => {
        this.out.warn(msg.previewFailed(detail(error)));
        return undefined;
      },
    );
  }

  private startSampler(): void {
    this.previewer?.start();
    void this.previewer?.samplerReady?.then((at) => (this.timings.samplerReady ??= at - this.startedAt));
  }

  /** Stops the sampler thread: grids still being drawn are dropped. Every way out of train() calls it. */
  private async closePreviewer(): Promise<void> {
    await this.previewer?.close();
  }

  /** The previews of what these parameters do: shown inline and saved as preview-step-N.png (.txt, .wav…). */
  private async preview(parameters: TensorGroup, step: number, caption: string, onThisThread: boolean): Promise<void> {
    const offThread = !onThisThread && this.previewer?.offThread === true;
    const previews = await this.requestGrid(parameters, step, caption, onThisThread);
    if (previews === undefined || previews === "skipped") return;
    this.timings.previewOffThread = offThread;
    const files = await writePreviewFiles(this.o.dir, previewFileStem(step), previews);
    this.previewFile = files[0];
    this.showPicture(previews);
    previews.forEach((p, i) => this.out.preview(p, files[i]));
    this.timings.previewed = this.elapsed();
  }

  // ── 3. helpers ───────────────────────────────────────────────────────────────────────────────

  private restoreCursor(loader: DataLoader, saved: RunState): void {
    try {
      loader.restore(saved.data);
    } catch (error) {
      if (!this.o.allowConfigChange) throw error;
      // Another dataset, batch size or seed (allowed): the old position means nothing here.
      const epoch = typeof saved.data.epoch === "number" && Number.isSafeInteger(saved.data.epoch) && saved.data.epoch >= 0 ? saved.data.epoch : 0;
      loader.restore({ ...loader.cursor(), epoch, position: 0 });
      this.out.warn(msg.dataCursorReset(detail(error), epoch));
    }
  }

  // ── 4. helpers ───────────────────────────────────────────────────────────────────────────────

  private elapsed(): number {
    return performance.now() - this.startedAt;
  }

  private smoothedLoss(): number | undefined {
    return this.tracker?.snapshot(performance.now()).smoothedLoss;
  }

  private context(loader: DataLoader): ProgressContext {
    const notes = this.diskNote === undefined ? [] : [this.diskNote];
    const val = this.validation?.["val_loss"];
    const saves = this.store?.backgroundStatus;
    const failing = saves !== undefined && saves.consecutiveFailures > 0 ? saves : undefined;
    return {
      title: this.o.name,
      status: failing !== undefined && this.status === "training" ? msg.savesFailingStatus(failing.consecutiveFailures, failing.maxFailedSaves) : this.status,
      ...(failing === undefined ? {} : { warnings: [msg.savesFailingNote(failing.consecutiveFailures, failing.maxFailedSaves)] }),
      epoch: loader.epoch,
      ...(val !== undefined && Number.isFinite(val) ? { validationLoss: val } : {}),
      ...(this.lastCheckpoint === undefined ? {} : { lastCheckpoint: { step: this.lastCheckpoint.step, kind: this.lastCheckpoint.kind } }),
      notes,
    };
  }

  /** Redraws the live view if `refreshMs` passed (or `final`); the chart only when due. */
  private async refresh(session: TrainingSession<Batch>, loader: DataLoader, final: boolean): Promise<void> {
    const now = performance.now();
    if (!final && now - this.lastRefreshAt < this.refreshMs) return;
    this.lastRefreshAt = now;
    if (this.out.pictures && (final || (this.chartDirty && now - this.lastChartAt >= CHART_EVERY_MS))) {
      const { train, validation } = this.history.points();
      if (train.length > 0) {
        try {
          this.chart = await renderLossChart({ train, validation, title: `${this.o.name} · loss` });
        } catch (error) {
          this.out.warn(msg.renderFailed("The loss chart", detail(error)));
        }
      }
      this.chartDirty = false;
      this.lastChartAt = performance.now();
    }
    const tracker = this.tracker ?? new ProgressTracker({ total: this.o.steps, startStep: session.stepCount, startTimeMs: now });
    this.out.progress(
      {
        snapshot: tracker.snapshot(performance.now()),
        context: this.context(loader),
        ...(this.chart === undefined ? {} : { chart: this.chart }),
        ...(this.grid === undefined ? {} : { grid: this.grid }),
      },
      final,
    );
  }

  // ── 5. Save on the schedule ──────────────────────────────────────────────────────────────────

  private async afterStep(store: CheckpointStore, session: TrainingSession<Batch>, loader: DataLoader, step: number, epochEnded: boolean): Promise<void> {
    const o = this.o;
    const last = step === o.steps;
    const report: string[] = [];
    let metrics: Record<string, number> | undefined;
    let newBest = false;
    if (o.evalEvery !== undefined && (step % o.evalEvery === 0 || last)) {
      metrics = await this.evaluate(session);
      this.validation = metrics;
      this.history.recordValidation(step, metrics["val_loss"] ?? Number.NaN);
      this.chartDirty = true;
      this.lastChartAt = Number.NEGATIVE_INFINITY; // a new validation point: redraw at the next refresh
      newBest = this.updateBest(step, metrics);
      report.push(msg.evaluated(metrics, newBest ? o.bestMetric.name : undefined));
    }
    const kind: CheckpointKind | undefined = last
      ? "final"
      : epochEnded && o.epochCheckpoints
        ? "epoch"
        : step % o.checkpointEvery === 0 || newBest
          ? "rolling"
          : undefined;
    if (kind === "final") {
      await this.settle(store);
      const saved = await this.saveNow(store, session, loader, kind, metrics);
      if (saved !== undefined) report.push(saved);
    } else if (kind !== undefined) {
      // Its step line ("… · saved rolling checkpoint → …") is shown once the save is committed.
      if (await this.saveInBackground(store, session, loader, kind, metrics, report)) return;
    }
    if (report.length > 0) this.out.event(msg.stepReport(step, report));
    this.showDiskNote();
  }

  private async evaluate(session: TrainingSession<Batch>): Promise<Record<string, number>> {
    const test = this.o.test!;
    const loader = new DataLoader(test, { batchSize: this.o.batchSize, shuffle: false });
    const batches = Math.min(this.o.evalBatches, loader.batchesPerEpoch);
    // The same fork every time: every evaluation sees the same noise, so values compare.
    const rng = this.root.fork("eval");
    let loss = 0;
    const sums: Record<string, number> = {};
    for (let i = 0; i < batches; i++) {
      const r = await session.evaluate(loader.next(), rng);
      loss += r.loss;
      for (const [k, v] of Object.entries(r.metrics)) sums[k] = (sums[k] ?? 0) + v;
    }
    const out: Record<string, number> = { val_loss: loss / batches };
    for (const [k, v] of Object.entries(sums)) out[`val_${k}`] = v / batches;
    return out;
  }

  private updateBest(step: number, metrics: Readonly<Record<string, number>>): boolean {
    const { name, mode } = this.o.bestMetric;
    const value = metrics[name];
    if (value === undefined || !Number.isFinite(value)) return false;
    const prev = this.best;
    const better = prev === null || prev.metric !== name || !Number.isFinite(prev.value) || (mode === "min" ? value < prev.value : value > prev.value);
    if (!better) return false;
    this.best = { metric: name, mode, value, step };
    return true;
  }

  /** The checkpoint of the session's current step. */
  private request(session: TrainingSession<Batch>, loader: DataLoader, kind: CheckpointKind, evalMetrics: Readonly<Record<string, number>> | undefined): SaveRequest & { metrics: Metrics } {
    // The session's buffers, not copies: a step replaces its buffers and never writes into them
    // (and saveInBackground copies them before it returns anyway).
    const dict = session.stateDict();
    const state: RunState = {
      run: RUN_STATE_VERSION,
      config: this.config,
      ...(this.o.command === undefined ? {} : { command: this.o.command }),
      training: dict.state,
      data: loader.cursor(),
      history: this.history.toJSON(),
      best: this.best,
      validation: this.validation,
      model: { fingerprint: session.modelFingerprint, graphs: this.graphs.records() as unknown as JsonObject[], previews: (this.previewer?.recorded ?? []) as unknown as JsonObject[] },
    };
    const loss = this.smoothedLoss();
    const metrics: Metrics = { ...(loss === undefined ? {} : { loss }), ...(evalMetrics ?? {}) };
    return { kind, step: session.stepCount, epoch: loader.epoch, tensors: { model: dict.tensors.model, optimizer: dict.tensors.optimizer }, state, metrics };
  }

  /**
   * A rolling, epoch or best checkpoint: the store snapshots the state and training goes on while
   * it is written; the sample grid is rendered meanwhile. What follows the commit (its step line,
   * the grid's file, pruning, disk usage) runs in sideWork. False when no save was started (the
   * store says saves keep failing: the loop stops).
   */
  private async saveInBackground(
    store: CheckpointStore, session: TrainingSession<Batch>, loader: DataLoader, kind: CheckpointKind,
    evalMetrics: Readonly<Record<string, number>> | undefined, report: readonly string[],
  ): Promise<boolean> {
    const step = session.stepCount;
    await this.graphsReady();
    const request = this.request(session, loader, kind, evalMetrics);
    const t0 = performance.now();
    let bg: BackgroundSave | undefined;
    try {
      bg = await this.reportingFailures(() => store.saveInBackground(request), false);
    } finally {
      this.saveStats.backgroundCallMs += performance.now() - t0;
    }
    if (bg === undefined) return false;
    // Taken as the commit settles, before the next call to the store can take the store's report.
    const outcome = bg.committed.then(
      (saved): CommitOutcome => ({ ok: true, saved }),
      (error: unknown): CommitOutcome => {
        const reported = store.pendingError;
        if (isNbresumeError(reported, CheckpointErrorCode.SAVES_FAILING)) this.savesFailing ??= reported;
        return { ok: false, error, reported };
      },
    );
    // The same parameters the snapshot holds (the step that replaces them has not run yet). Drawn
    // off this thread, they are copied now and training goes on meanwhile; else before the next step.
    const offThread = this.previewer?.offThread === true;
    const drawing = this.requestGrid(session.parameters(), step, msg.previewCaption(step, lossOf(request.metrics), kind));
    if (!offThread) await drawing;
    this.afterwards(async () => {
      const grid = await drawing;
      let file: string | undefined;
      if (grid !== undefined && grid !== "skipped") {
        this.showPicture(grid); // previews arrive in order: the newest is shown
        file = await this.writeGrid(step, grid);
      }
      const lines = grid === "skipped" ? [...report, msg.gridSkipped()] : report;
      const settled = await outcome;
      if (settled.ok) await this.committedInBackground(store, settled.saved, lines, file);
      else this.failedInBackground(settled, step, kind, lines);
    });
    return true;
  }

  /**
   * Runs a store call; a failure of an earlier background save that the call reports instead is
   * shown, then the call is made again (that failure was the earlier save's, not this one's).
   * When the store says saves keep failing: undefined, unless `always` (final and emergency saves
   * are still tried).
   */
  private async reportingFailures<T>(call: () => Promise<T>, always: true): Promise<T>;
  private async reportingFailures<T>(call: () => Promise<T>, always: false): Promise<T | undefined>;
  private async reportingFailures<T>(call: () => Promise<T>, always: boolean): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (!isReportedFailure(error)) throw error;
      this.showFailure(error);
      if (!always && isNbresumeError(error, CheckpointErrorCode.SAVES_FAILING)) return undefined;
      return await call();
    }
  }

  /** A store's report of a failed background save, shown once (an "already exists" only as its step line says). */
  private showFailure(error: NbresumeError): void {
    if (isNbresumeError(error, CheckpointErrorCode.SAVES_FAILING)) this.savesFailing ??= error;
    if (this.shownFailures.has(error)) return;
    this.shownFailures.add(error);
    if (isNbresumeError(error.cause, CheckpointErrorCode.EXISTS)) return;
    this.out.warn(error.message);
  }

  private afterwards(task: () => Promise<void>): void {
    this.sideWork = this.sideWork.then(task).catch((error: unknown) => this.out.warn(msg.backgroundWorkFailed(detail(error))));
  }

  private async committedInBackground(store: CheckpointStore, saved: SavedCheckpoint, report: readonly string[], file: string | undefined): Promise<void> {
    this.saveStats.background++;
    this.saves++;
    this.lastCheckpoint = record(saved);
    for (const w of saved.warnings) this.out.warn(msg.saveWarning(w));
    this.out.event(msg.stepReport(saved.step, [...report, msg.saved(saved.kind, file === undefined ? undefined : basename(file))]));
    try {
      if (saved.pruned.length > 0) {
        const steps = new Set((await store.list()).checkpoints.map((c) => c.step));
        await pruneSampleGrids(this.o.dir, steps, saved.step);
      }
      if (this.saves % DISK_USAGE_EVERY === 1) await this.diskUsage(store);
    } catch (error) {
      this.out.warn(msg.afterSaveFailed(saved.name, detail(error)));
    }
    this.showDiskNote();
  }

  private failedInBackground(outcome: Extract<CommitOutcome, { ok: false }>, step: number, kind: CheckpointKind, report: readonly string[]): void {
    if (isNbresumeError(outcome.error, CheckpointErrorCode.EXISTS)) {
      if (outcome.reported !== undefined) this.shownFailures.add(outcome.reported);
      this.out.event(msg.stepReport(step, [...report, msg.alreadySaved(kind)]));
      return;
    }
    this.saveStats.failed++;
    if (report.length > 0) this.out.event(msg.stepReport(step, report));
    if (outcome.reported !== undefined) this.showFailure(outcome.reported);
    else this.out.warn(msg.saveFailed(step, detail(outcome.error)));
  }

  /**
   * Until the background save in flight has committed or failed and the work after it is done;
   * a failure not shown yet is shown. Never throws: every way out of train() calls it.
   */
  private async settle(store: CheckpointStore): Promise<void> {
    await this.sideWork;
    try {
      await store.flush();
    } catch (error) {
      if (isReportedFailure(error)) this.showFailure(error);
      else this.out.warn(msg.backgroundWorkFailed(detail(error)));
    }
    await this.sideWork;
  }

  /** Writes the previews beside their checkpoint; a failure is only warned about (a preview is not the checkpoint). Returns the first file. */
  private async writeGrid(step: number, previews: readonly RenderedPreview[]): Promise<string | undefined> {
    try {
      const file = (await writePreviewFiles(this.o.dir, samplesFileStem(step), previews))[0];
      this.samplesFile = file;
      this.lastPreviews = previews;
      return file;
    } catch (error) {
      this.out.warn(msg.pictureNotWritten(join(this.o.dir, samplesFileStem(step)), detail(error)));
      return undefined;
    }
  }

  /** The live view shows the newest preview's picture. */
  private showPicture(previews: readonly RenderedPreview[]): void {
    const image = previews.find((p) => p.image !== undefined)?.image;
    if (image !== undefined) this.grid = image;
  }

  /**
   * Commits a final or emergency checkpoint before going on (call settle() first), with a sample
   * grid beside a final one (not for emergencies: the user is waiting). Returns what to report,
   * or undefined when a failed final save was only warned about.
   */
  private async saveNow(store: CheckpointStore, session: TrainingSession<Batch>, loader: DataLoader, kind: "final" | "emergency", evalMetrics?: Readonly<Record<string, number>>): Promise<string | undefined> {
    const step = session.stepCount;
    await this.graphsReady();
    const request = this.request(session, loader, kind, evalMetrics);
    let committed: SavedCheckpoint;
    try {
      committed = await this.reportingFailures(() => store.save(request), true);
    } catch (error) {
      if (isNbresumeError(error, CheckpointErrorCode.EXISTS)) return msg.alreadySaved(kind);
      this.saveStats.failed++;
      if (kind === "emergency") throw new NbresumeError(RunErrorCode.EMERGENCY_SAVE_FAILED, msg.emergencySaveFailed(step, detail(error)), { where: this.o.dir, cause: error });
      const { consecutiveFailures, maxFailedSaves } = store.backgroundStatus;
      if (consecutiveFailures >= maxFailedSaves) {
        throw new NbresumeError(RunErrorCode.SAVE_FAILING, msg.saveFailing(consecutiveFailures, detail(error)), { where: this.o.dir, cause: error });
      }
      this.out.warn(msg.saveFailed(step, detail(error)));
      return undefined;
    }
    this.saveStats.synchronous++;
    this.saves++;
    this.lastCheckpoint = record(committed);
    for (const w of committed.warnings) this.out.warn(msg.saveWarning(w));

    let file: string | undefined;
    if (kind !== "emergency") {
      // Training is over: this thread has the cores (the sampler thread's one is slower), unless told otherwise.
      const grid = await this.requestGrid(session.parameters(), step, msg.previewCaption(step, lossOf(request.metrics), kind), this.samplerMode !== "thread");
      if (grid !== undefined && grid !== "skipped") {
        this.showPicture(grid);
        file = await this.writeGrid(step, grid);
      }
    }
    if (committed.pruned.length > 0) {
      const steps = new Set((await store.list()).checkpoints.map((c) => c.step));
      await pruneSampleGrids(this.o.dir, steps);
    }
    if (this.saves % DISK_USAGE_EVERY === 1 || kind === "final" || kind === "emergency") await this.diskUsage(store);
    return msg.saved(kind, file === undefined ? undefined : basename(file));
  }

  private async diskUsage(store: CheckpointStore): Promise<void> {
    const du = await store.du();
    const pictures = await listRunPictures(this.o.dir);
    this.diskNote = msg.diskUsage(this.o.dir, du.checkpoints.count, du.checkpoints.bytes, pictures.length, pictures.reduce((s, p) => s + p.bytes, 0));
    this.diskNoteFresh = true;
  }

  /** A new disk-usage line: a line of its own in a terminal (the notebook's live view shows it as a note). */
  private showDiskNote(): void {
    if (this.diskNoteFresh && this.diskNote !== undefined && !this.out.pictures) this.out.event(this.diskNote);
    this.diskNoteFresh = false;
  }

  /** Saves kept failing: stop between steps as an interrupt does (emergency checkpoint if it can), then reject with the store's reason. */
  private async stopSavesFailing(store: CheckpointStore, session: TrainingSession<Batch>, loader: DataLoader, reason: NbresumeError): Promise<never> {
    await this.closePreviewer();
    await this.settle(store);
    const step = session.stepCount;
    const newest = store.backgroundStatus.lastCommitted ?? this.lastCheckpoint;
    let emergency = false;
    if (newest?.step !== step) {
      try {
        emergency = (await this.saveNow(store, session, loader, "emergency")) !== undefined;
      } catch (error) {
        this.out.warn(detail(error));
      }
    }
    this.showDiskNote();
    this.status = msg.stoppedStatus();
    await this.refresh(session, loader, true);
    this.out.end();
    this.out.info(msg.stoppedSavesFailing(step, this.lastCheckpoint?.name, emergency));
    throw new NbresumeError(RunErrorCode.SAVE_FAILING, reason.message, { where: this.o.dir, cause: reason });
  }

  // ── 6. Interrupt ─────────────────────────────────────────────────────────────────────────────

  private async interrupted(store: CheckpointStore, session: TrainingSession<Batch>, loader: DataLoader, reason: RunStopReason, startStep: number): Promise<TrainResult> {
    // A grid still being drawn is dropped (the user is waiting), then the background save in
    // flight: if it committed this very step, that is the checkpoint.
    await this.closePreviewer();
    await this.settle(store);
    const step = session.stepCount;
    const newest = store.backgroundStatus.lastCommitted ?? this.lastCheckpoint;
    const alreadySaved = newest?.step === step;
    if (!alreadySaved) await this.saveNow(store, session, loader, "emergency");
    this.showDiskNote();
    this.status = "interrupted";
    await this.refresh(session, loader, true);
    this.out.end();
    if (reason === "superseded") this.out.info(msg.superseded(step));
    else this.out.info(alreadySaved ? msg.interruptedAlreadySaved(step) : msg.interrupted(step));
    return this.result("interrupted", session, startStep, reason);
  }

  private result(status: TrainStatus, session: TrainingSession<Batch>, startStep: number, reason: RunStopReason | undefined): TrainResult {
    const result: TrainResult = {
      status,
      step: session.stepCount,
      startStep,
      steps: this.o.steps,
      resumedFrom: this.resumedFrom,
      checkpoint: this.lastCheckpoint,
      loss: this.smoothedLoss(),
      validation: this.validation ?? undefined,
      stopReason: reason,
      previewFile: this.previewFile,
      samplesFile: this.samplesFile,
      timings: { ...this.timings },
      saves: { ...this.saveStats },
      grids: { ...this.gridStats },
    };
    // A notebook prints a cell's last value: one line, not the whole object.
    Object.defineProperty(result, Symbol.for("nodejs.util.inspect.custom"), {
      enumerable: false,
      value: () => `TrainResult { ${status} at step ${result.step}/${result.steps}${result.checkpoint === undefined ? "" : ` · ${result.checkpoint.name}`} }`,
    });
    return result;
  }
}

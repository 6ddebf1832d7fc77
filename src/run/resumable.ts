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
 *    │                      override) → the model's previews from the checkpoint's weights (a
 *    │                      grid, text, a plot, audio: run-previews.ts) → inline + preview-step-N.*
 *    ├─ 3. resume ──────── training session (the previous run's, if it fits) → model graph
 *    │                      fingerprint checked → its state dict: step, optimizer, schedule, RNG
 *    │                      │ data cursor, loss history, best metric
 *    │                      │ already at `steps`: say so, stop
 *    ├─ 4. loop ─────────── step → progress (ONE display updated in place, live-view.ts; chart
 *    │        ▲             and preview picture re-rendered only now and then) → yield
 *    │        │
 *    ├─ 5. save ─────────── evalEvery: val metrics (evaluation.ts) │ the kind (checkpoint-schedule.ts)
 *    │        │             │ rolling / epoch / new best: in the background (run-saves.ts: state
 *    │        │             snapshotted, training goes on; previews drawn meanwhile) ┄┄ committed:
 *    │        │             samples-step-N.*, pruning, disk usage │ final: flush, then save
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
import { CheckpointErrorCode } from "../checkpoint/messages.js";
import { CheckpointStore, type CheckpointKind, type LoadedCheckpoint, type Metrics, type SaveRequest } from "../checkpoint/store.js";
import { diffConfigs } from "../checkpoint/config-diff.js";
import { NbresumeError, isNbresumeError } from "../errors.js";
import type { Batch } from "../engine/data/batch.js";
import { DataLoader } from "../engine/data/data-loader.js";
import type { JsonObject } from "../engine/nn/json.js";
import type { Model } from "../engine/nn/model.js";
import { createGenerator } from "../engine/random/create-generator.js";
import type { Generator } from "../engine/random/generator.js";
import { modelFingerprint } from "../engine/session/model-discovery.js";
import { createTrainingSession } from "../engine/session/onnx-training-session.js";
import type { TrainingSession } from "../engine/session/training-session.js";
import { runExclusive, stopReason } from "../notebook/interrupt.js";
import type { TensorGroup } from "../tensor.js";
import { checkpointKindAfter } from "./checkpoint-schedule.js";
import { createRunOutput } from "./create-run-output.js";
import { betterBest, evaluateHeldOut } from "./evaluation.js";
import { LiveView } from "./live-view.js";
import { LossHistory } from "./loss-history.js";
import { RunErrorCode, runMessages as msg } from "./messages.js";
import { resolveOptions, type ResolvedOptions } from "./options.js";
import { PreviewPresenter } from "./preview-presenter.js";
import { changeRows, configRows, judgeConfigDiff, runConfig } from "./run-config.js";
import type { RunOutput } from "./run-output.js";
import { createPreviewer } from "./run-previews.js";
import { checkpointRecord, lossOf, RunSaves } from "./run-saves.js";
import { parseRunState, RUN_STATE_VERSION, type BestSoFar, type RunState } from "./run-state.js";
import type { CheckpointRecord, ResumableOptions, Run, RunStopReason, TrainOptions, TrainResult, TrainStatus, TrainTimings } from "./run.js";
import { checkinSession, checkoutSession, hasCachedSession } from "./session-cache.js";
import { ModelGraphStore } from "./stored-graphs.js";

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

/**
 * What a compiled session depends on; equal keys can share one (session-cache.ts). The model's
 * fingerprint is part of it: a cell rerun with changed model code under the same config must not
 * train with the old compiled graph.
 */
function sessionKey(o: ResolvedOptions): string {
  return JSON.stringify([o.model.config, modelFingerprint(o.model, o.batchSize), o.optimizer.config, o.schedule.config, o.batchSize, o.seed, o.clipGradNorm ?? null, o.threads ?? null]);
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

/** One call of train(): the pipeline's state, from opening the store to closing it. */
class Training {
  private readonly out: RunOutput;
  private readonly root: Generator;
  private readonly samplerMode: "auto" | "thread" | "main";
  private readonly view: LiveView;
  private readonly previews: PreviewPresenter;
  /** The model's graphs without weights, stored beside the checkpoints (previews, export). */
  private readonly graphs: ModelGraphStore;
  private graphsBuilt = false;
  private history = new LossHistory();
  private best: BestSoFar | null = null;
  private validation: Readonly<Record<string, number>> | null = null;
  private resumedFrom: CheckpointRecord | undefined;
  /** Set once the store is open. */
  private saves: RunSaves | undefined;
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
    this.samplerMode = o.preview?.sampler ?? "main";
    this.view = new LiveView(this.out, o.name, o.steps, () => this.history);
    this.graphs = new ModelGraphStore(o.dir, o.model as Model<never>);
    let previewer;
    if (o.preview !== undefined) {
      const chosen = createPreviewer(o.model as Model<never>, {
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

  async run(): Promise<TrainResult> {
    try {
      return await this.pipeline();
    } finally {
      // Every way out: no sampler thread left behind (closed earlier on the usual ways out).
      await this.previews.close();
    }
  }

  private async pipeline(): Promise<TrainResult> {
    const o = this.o;
    const key = sessionKey(o);
    // Whether the sampler thread draws the resume preview while this thread compiles the training
    // session: then it starts now, beside resolve and load. Otherwise (a reused session leaves
    // nothing to overlap; on 2 cores the overlap was slower, see PreviewOptions.sampler) the
    // preview is drawn here first, and the thread starts just before the loop.
    const overlap = this.previews.offThread && (this.samplerMode === "thread" || (this.samplerMode === "auto" && !hasCachedSession(key) && spareCores(o)));
    if (overlap) this.startSampler();
    // ── 1. Resolve ─────────────────────────────────────────────────────────────────────────────
    let store: CheckpointStore;
    try {
      store = await CheckpointStore.open(o.dir, { ...o.checkpointStore, ...(o.keep === undefined ? {} : { keep: o.keep }), bestMetric: o.bestMetric });
    } catch (error) {
      if (!isNbresumeError(error, CheckpointErrorCode.DIR_NOT_WRITABLE)) throw error;
      return this.readOnly(error);
    }
    try {
      // Newest first, each candidate read once: the read's hashing is its verification.
      const loaded = await store.resolveAndLoad("auto");
      this.timings.resolved = this.elapsed();
      if (loaded === undefined) {
        this.out.info(msg.startingFromScratch(o.dir));
        const rows = configRows(this.config);
        this.out.table({ title: msg.configTitle(rows.length), columns: ["setting", "value"], rows, collapsed: true });
      } else {
        for (const s of loaded.skipped) {
          const diverged = s.problems.length > 0 && s.problems.every((p) => p.kind === "diverged");
          this.out.warn(diverged ? msg.skippedDiverged(s.name, s.problem, loaded.name) : msg.skippedCheckpoint(s.name, s.problem, loaded.name));
        }
      }

      // ── 2. Verify + preview ──────────────────────────────────────────────────────────────────
      let resumed: { loaded: LoadedCheckpoint; saved: RunState } | undefined;
      let preview: Promise<void> | undefined;
      if (loaded !== undefined) {
        const saved = this.checkedState(loaded);
        this.out.info(msg.resolved(loaded.name, loaded.step, loaded.kind, loaded.epoch, lossOf(loaded.metrics)));
        this.checkConfig(loaded, saved);
        resumed = { loaded, saved };
        this.resumedFrom = checkpointRecord(loaded);
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
      const loader = new DataLoader(o.train, { batchSize: o.batchSize, generator: this.root.fork("data") });
      const saves = new RunSaves(this.out, o.dir, store, {
        prepare: () => this.graphsReady(),
        request: (kind, evalMetrics) => this.request(session, loader, kind, evalMetrics),
        parameters: () => session.parameters(),
      }, this.previews, this.view);
      saves.lastCheckpoint = this.resumedFrom;
      this.saves = saves;
      let reusable = false;
      try {
        // The preview drawn meanwhile: shown before the resumed state is restored and the first step runs.
        await preview;
        // A fresh start's preview: what the initial parameters do (noise, or chance-level guesses).
        if (resumed === undefined) await this.preview(session.parameters(), 0, msg.freshPreviewCaption(), this.samplerMode !== "thread");
        else this.checkFingerprint(session, resumed.loaded, resumed.saved);
        const result = await this.train(saves, session, loader, resumed, loaded?.name);
        reusable = true;
        return result;
      } finally {
        // Whatever ended the run: no preview still being drawn (an error or interrupt does not
        // wait for it), no save left in flight, and how each one ended shown.
        await this.previews.close();
        await saves.settle();
        this.out.end();
        if (reusable) await checkinSession(key, session);
        else await session.release();
      }
    } finally {
      this.saves = undefined;
      await store.close();
    }
  }

  private async train(saves: RunSaves, session: TrainingSession<Batch>, loader: DataLoader, resumed: { loaded: LoadedCheckpoint; saved: RunState } | undefined, name: string | undefined): Promise<TrainResult> {
    const o = this.o;

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
        return this.result("already-finished", session.stepCount, startStep, undefined);
      }
      this.out.info(msg.resumed(startStep, o.steps, loader.epoch, loader.position));
    }
    this.view.begin(startStep, this.history.recent(SMOOTHING_SEED));
    this.timings.training = this.elapsed();
    // Warm by the first checkpoint; its start overlaps the first steps, not the resume.
    this.startSampler();

    // ── 4. Loop with live progress (5. saves inside) ───────────────────────────────────────────
    if (!this.signal.aborted) {
      this.out.info(msg.training(startStep, o.steps));
      this.view.status = "training";
      await this.refresh(session, loader, false);
    }
    while (session.stepCount < o.steps && !this.signal.aborted && saves.savesFailing === undefined) {
      const batch = loader.next();
      const r = await session.step(batch);
      this.timings.firstStep ??= this.elapsed();
      this.history.record(r.step, r.loss);
      this.view.record(r.step, r.loss);
      await this.afterStep(saves, session, r.step, batch.epochEnded);
      await this.refresh(session, loader, false);
      await yieldToEventLoop();
    }

    // ── 5. Saves kept failing: stop as an interrupt does, then say why ───────────────────────────
    if (saves.savesFailing !== undefined && session.stepCount < o.steps) return this.stopSavesFailing(saves, session, loader, saves.savesFailing);

    // ── 6. Interrupt ───────────────────────────────────────────────────────────────────────────
    if (this.signal.aborted) {
      const reason: RunStopReason = this.callerSignal?.aborted === true ? "aborted" : (stopReason(this.signal) ?? "SIGINT");
      return this.interrupted(saves, session, loader, reason, startStep);
    }

    await saves.settle();
    this.view.status = saves.finalUnsaved ? "finished (final checkpoint NOT saved)" : "finished";
    this.view.finishing();
    await this.refresh(session, loader, true);
    this.out.end();
    this.previews.showLast();
    if (saves.finalUnsaved) {
      this.out.warn(msg.finishedUnsaved(session.stepCount, saves.lastCheckpoint?.name));
      return this.result("finished-unsaved", session.stepCount, startStep, undefined);
    }
    this.out.info(msg.finished(session.stepCount, this.view.smoothedLoss(), saves.lastCheckpoint?.name ?? "(none)"));
    this.out.info(msg.outputsAt(o.dir, this.previews.samplesFile === undefined ? undefined : "samples-step-*", this.previews.previewFile === undefined ? undefined : "preview-step-*"));
    return this.result("finished", session.stepCount, startStep, undefined);
  }

  /**
   * A run directory that cannot be written (a read-only mount, chattr +i): its newest checkpoint is
   * loaded and previewed read-only, and the run says it cannot train or save. With no checkpoint
   * to show, the store's own error stands.
   */
  private async readOnly(cause: NbresumeError): Promise<TrainResult> {
    const o = this.o;
    const reader = await CheckpointStore.open(o.dir, { readOnly: true, bestMetric: o.bestMetric });
    try {
      const loaded = await reader.resolveAndLoad("auto");
      if (loaded === undefined) throw cause;
      for (const s of loaded.skipped) this.out.warn(msg.skippedCheckpoint(s.name, s.problem, loaded.name));
      this.checkedState(loaded);
      this.out.info(msg.resolved(loaded.name, loaded.step, loaded.kind, loaded.epoch, lossOf(loaded.metrics)));
      this.resumedFrom = checkpointRecord(loaded);
      this.out.warn(msg.readOnlyRun(o.dir, cause.message));
      await this.preview(loaded.tensors["model"] ?? {}, loaded.step, msg.previewCaption(loaded.step, lossOf(loaded.metrics), loaded.kind), true);
      return this.result("read-only", loaded.step, loaded.step, undefined);
    } finally {
      await reader.close();
    }
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
    const changes = judgeConfigDiff(diff, saved.config);
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

  /** The model's previews of these parameters: shown inline and saved as preview-step-N.* (.png, .txt, .wav…). */
  private async preview(parameters: TensorGroup, step: number, caption: string, onThisThread: boolean): Promise<void> {
    const offThread = !onThisThread && this.previews.offThread;
    if (!(await this.previews.showOnce(parameters, step, caption, onThisThread))) return;
    this.timings.previewOffThread = offThread;
    this.timings.previewed = this.elapsed();
  }

  private startSampler(): void {
    this.previews.start();
    void this.previews.samplerReady?.then((at) => (this.timings.samplerReady ??= at - this.startedAt));
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

  private refresh(session: TrainingSession<Batch>, loader: DataLoader, final: boolean): Promise<void> {
    return this.view.refresh(session.stepCount, { epoch: loader.epoch, validation: this.validation, lastCheckpoint: this.saves?.lastCheckpoint, saves: this.saves?.status() }, final);
  }

  // ── 5. Save on the schedule ──────────────────────────────────────────────────────────────────

  private async afterStep(saves: RunSaves, session: TrainingSession<Batch>, step: number, epochEnded: boolean): Promise<void> {
    const o = this.o;
    const report: string[] = [];
    let metrics: Record<string, number> | undefined;
    let newBest = false;
    if (o.evalEvery !== undefined && (step % o.evalEvery === 0 || step === o.steps)) {
      // The same fork every time: every evaluation sees the same noise, so values compare.
      metrics = await evaluateHeldOut(session, o.test!, o.batchSize, o.evalBatches, this.root.fork("eval"));
      this.validation = metrics;
      this.history.recordValidation(step, metrics["val_loss"] ?? Number.NaN);
      this.view.validated();
      const best = betterBest(this.best, o.bestMetric, step, metrics);
      if (best !== undefined) this.best = best;
      newBest = best !== undefined;
      report.push(msg.evaluated(metrics, newBest ? o.bestMetric.name : undefined));
    }
    const kind = checkpointKindAfter(o, step, epochEnded, newBest);
    if (kind === "final") {
      await saves.settle();
      // Training is over: this thread has the cores (the sampler thread's one is slower), unless told otherwise.
      const saved = await saves.now(step, kind, metrics, this.samplerMode !== "thread");
      if (saved !== undefined) report.push(saved);
    } else if (kind !== undefined) {
      // Its step line ("… · saved rolling checkpoint → …") is shown once the save is committed.
      if (await saves.background(step, kind, metrics, report)) return;
    }
    if (report.length > 0) this.out.event(msg.stepReport(step, report));
    this.view.showDiskNote();
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
      model: { fingerprint: session.modelFingerprint, graphs: this.graphs.records() as unknown as JsonObject[], previews: this.previews.recorded as unknown as JsonObject[] },
    };
    const loss = this.view.smoothedLoss();
    const metrics: Metrics = { ...(loss === undefined ? {} : { loss }), ...(evalMetrics ?? {}) };
    return { kind, step: session.stepCount, epoch: loader.epoch, tensors: { model: dict.tensors.model, optimizer: dict.tensors.optimizer }, state, metrics };
  }

  /** Saves kept failing: stop as an interrupt does (emergency checkpoint if it can), then reject with the store's reason. */
  private async stopSavesFailing(saves: RunSaves, session: TrainingSession<Batch>, loader: DataLoader, reason: NbresumeError): Promise<never> {
    await this.previews.close();
    await saves.settle();
    const step = session.stepCount;
    let emergency = false;
    if (saves.newestStep() !== step) {
      try {
        emergency = (await saves.now(step, "emergency", undefined, true)) !== undefined;
      } catch (error) {
        this.out.warn(detail(error));
      }
    }
    this.view.showDiskNote();
    this.view.status = msg.stoppedStatus();
    await this.refresh(session, loader, true);
    this.out.end();
    this.out.info(msg.stoppedSavesFailing(step, saves.lastCheckpoint?.name, emergency));
    throw new NbresumeError(RunErrorCode.SAVE_FAILING, reason.message, { where: this.o.dir, cause: reason });
  }

  // ── 6. Interrupt ─────────────────────────────────────────────────────────────────────────────

  private async interrupted(saves: RunSaves, session: TrainingSession<Batch>, loader: DataLoader, reason: RunStopReason, startStep: number): Promise<TrainResult> {
    // A preview still being drawn is dropped (the user is waiting), then the background save in
    // flight: if it committed this very step, that is the checkpoint.
    await this.previews.close();
    await saves.settle();
    const step = session.stepCount;
    const alreadySaved = saves.newestStep() === step;
    if (!alreadySaved) await saves.now(step, "emergency", undefined, true);
    this.view.showDiskNote();
    this.view.status = "interrupted";
    await this.refresh(session, loader, true);
    this.out.end();
    if (reason === "superseded") this.out.info(msg.superseded(step));
    else this.out.info(alreadySaved ? msg.interruptedAlreadySaved(step) : msg.interrupted(step));
    return this.result("interrupted", session.stepCount, startStep, reason);
  }

  private result(status: TrainStatus, step: number, startStep: number, reason: RunStopReason | undefined): TrainResult {
    const result: TrainResult = {
      status,
      step,
      startStep,
      steps: this.o.steps,
      resumedFrom: this.resumedFrom,
      checkpoint: this.saves?.lastCheckpoint ?? this.resumedFrom,
      loss: this.view.smoothedLoss(),
      validation: this.validation ?? undefined,
      stopReason: reason,
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
}

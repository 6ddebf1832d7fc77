/**
 * resumable(): a training run you can stop at any moment and start again where it stopped — the
 * same flow in a notebook cell, the demo CLI and a plain script. `train()` runs this pipeline
 * (the numbers match the steps in Training.run() below):
 *
 * ```
 *  train() ── runExclusive(dir): an older run of this dir in this process is stopped first
 *    │
 *    ├─ 1. resolve ─────── open dir (writer lock) → where to start (resume-plan.ts): onExisting,
 *    │                      resumeFrom (auto · latest · best · step:N · a path · none) → the first
 *    │                      candidate that loads (one read, every byte hashed) with finite weights;
 *    │                      damaged / diverged ones passed over, and said so
 *    │                      │ none: "starting from scratch" + config (initFrom: warm start, 3.)
 *    ├─ 2. verify+preview ─ state checked → config diff (unsafe change: stop, say how to
 *    │      + validate      override) → the model's previews from the checkpoint's weights (EMA
 *    │                      ones if kept) → inline + preview-step-N.* → the validation gate: every
 *    │                      sample finite, not degenerate, a metric within bounds; failing: shown,
 *    │                      said why, the previous candidate tried (validate: fallback|warn|stop)
 *    │                      → settled: newer checkpoints moved aside (rolled-back-<time>/)
 *    ├─ 3. resume ──────── training session (the previous run's, if it fits) → model graph
 *    │                      fingerprint checked → its state dict, part by part (load: optimizer,
 *    │                      schedule, rng, data; restore.ts) → the run's book (run-book.ts: loss
 *    │                      history, smoothed loss, best, early stopping, save clock, EMA, guard)
 *    │                      → metrics.jsonl cut back to this step
 *    │                      │ already at `steps`, or stopped early: say so, stop
 *    ├─ 4. loop ─────────── step (a non-finite one never applied: divergence-guard.ts stops, skips
 *    │        ▲             or rolls back) → EMA → metrics.jsonl line → progress (ONE display,
 *    │        │             live-view.ts) → yield
 *    ├─ 5. save ─────────── evalEvery: val metrics (evaluation.ts) → best, early stopping │ the kind
 *    │        │             (checkpoint-schedule.ts: steps, minutes, epochs) │ metrics.jsonl fsync'd
 *    │        │             → rolling / epoch / new best: in the background (run-saves.ts) ┄┄
 *    │        │             committed: samples-step-N.*, loss.png, pruning │ final: flush, then save
 *    │        └──────────── saves failing: warn and go on │ too many: stop │ early stop: final, stop
 *    └─ 6. interrupt ────── SIGINT / SIGTERM / a newer run: stop between steps → flush → emergency
 *                           checkpoint → "interrupted at step N — …" → the cell ends
 *       every way out ───── summary.json (run-record.ts)
 * ```
 *
 * Every way out of train() (finished, interrupted, saves failing, an error) first waits for the
 * background save in flight and shows how it ended, so nothing is written after train() returns.
 *
 * Exactness: everything that decides the next step — parameters, optimizer moments, step count,
 * the training generator's state, the data cursor, and the run's book (early stopping's counter,
 * the save clock, the EMA, the guard's counters) — is in each checkpoint; evaluation and previews
 * draw from their own generator forks and never touch it. So a run interrupted and resumed any
 * number of times ends bitwise where an uninterrupted one does.
 */
import { availableParallelism } from "node:os";
import { CheckpointErrorCode } from "../checkpoint/messages.js";
import { CheckpointStore } from "../checkpoint/store-factory.js";
import type { CheckpointKind, Metrics, SaveRequest } from "../checkpoint/store.js";
import { EngineErrorCode } from "../engine/messages.js";
import { NbresumeError, isNbresumeError } from "../errors.js";
import type { Batch } from "../engine/data/batch.js";
import { DataLoader } from "../engine/data/data-loader.js";
import type { JsonObject } from "../engine/nn/json.js";
import { createGenerator } from "../engine/random/create-generator.js";
import type { Generator } from "../engine/random/generator.js";
import { modelFingerprint } from "../engine/session/model-discovery.js";
import { createTrainingSession } from "../engine/session/onnx-training-session.js";
import type { StepResult, TrainingSession } from "../engine/session/training-session.js";
import { runExclusive, stopReason } from "../notebook/interrupt.js";
import type { TensorGroup } from "../tensor.js";
import { checkpointKindAfter, nextCheckpointStep } from "./checkpoint-schedule.js";
import { createRunOutput } from "./create-run-output.js";
import type { GuardVerdict } from "./divergence-guard.js";
import { betterBest, evaluateHeldOut } from "./evaluation.js";
import { LiveView } from "./live-view.js";
import { RunErrorCode, runMessages as msg } from "./messages.js";
import { MetricsLog } from "./metrics-log.js";
import { resolveOptions, type ResolvedOptions } from "./options.js";
import { PreviewPresenter } from "./preview-presenter.js";
import { restoreSession, rollBackTo } from "./restore.js";
import { endDiverged, endFinished, endInterrupted, endSavesFailing, type Ending, type EndingContext } from "./run-endings.js";
import { checkConfig, checkedState, checkFingerprint, previewWeights, resumeCaption, validateCandidate } from "./resume-gate.js";
import { nonFiniteTensors, ResumePlanner, type Candidate, type Start } from "./resume-plan.js";
import { RunBook } from "./run-book.js";
import { configRows, runConfig } from "./run-config.js";
import type { RunOutput } from "./run-output.js";
import { createPreviewer } from "./run-previews.js";
import { chartData, summaryOf, writeLossChart, writeSummary } from "./run-record.js";
import { checkpointRecord, lossOf, RunSaves } from "./run-saves.js";
import type { RunOrigin } from "./run-state.js";
import type { CheckpointRecord, ResumableOptions, Run, RunStopReason, TrainOptions, TrainResult, TrainStatus, TrainTimings } from "./run.js";
import { checkinSession, checkoutSession, hasCachedSession } from "./session-cache.js";
import { ModelGraphStore } from "./stored-graphs.js";
import { initSession } from "./warm-start.js";

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
  return JSON.stringify([
    o.model.config,
    modelFingerprint(o.model, o.batchSize),
    o.optimizer.config,
    o.schedule.config,
    o.batchSize,
    o.seed,
    o.clipGradNorm ?? null,
    o.threads ?? null,
  ]);
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

function isNonFiniteStep(error: unknown): error is NbresumeError {
  return isNbresumeError(error, EngineErrorCode.NONFINITE_LOSS) || isNbresumeError(error, EngineErrorCode.NONFINITE_GRADIENT);
}

/** How the loop ended besides running to `steps`. */
type LoopEnd =
  | { readonly end: "early-stop" }
  | { readonly end: "diverged"; readonly step: number; readonly detail: string; readonly why: "diverged" | "too-many-skips" | "too-many-rollbacks" };

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
  /** Set once the run knows where it starts (3.). */
  private book: RunBook | undefined;
  private metricsLog: MetricsLog | undefined;
  private resumedFrom: CheckpointRecord | undefined;
  /** Set once the store is open. */
  private saves: RunSaves | undefined;
  private store: CheckpointStore | undefined;
  private stoppedBecause = "";
  private recordWarned = false;
  private readonly startedAt = performance.now();
  private readonly startedIso = new Date().toISOString();
  private readonly timings: { -readonly [K in keyof TrainTimings]: TrainTimings[K] } = {
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

  constructor(
    private readonly o: ResolvedOptions,
    private readonly config: JsonObject,
    private readonly signal: AbortSignal,
    private readonly callerSignal: AbortSignal | undefined,
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

  async run(): Promise<TrainResult> {
    try {
      return await this.pipeline();
    } finally {
      // Every way out: no sampler thread left behind (closed earlier on the usual ways out).
      await this.previews.close();
    }
  }

  private requireBook(): RunBook {
    if (this.book === undefined) throw new Error("the run's book is read before the run knows where it starts");
    return this.book;
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
    this.store = store;
    try {
      const planner = new ResumePlanner(store, o, this.config, this.out);
      const start = await planner.first();
      this.timings.resolved = this.elapsed();
      let candidate = start.kind === "checkpoint" ? start.candidate : undefined;
      if (start.kind === "scratch") {
        this.out.info(msg.startingFromScratch(o.dir));
        const rows = configRows(this.config);
        this.out.table({ title: msg.configTitle(rows.length), columns: ["setting", "value"], rows, collapsed: true });
      }

      // ── 2. Verify + preview + validate; the session compiles meanwhile when the preview is drawn off this thread ──
      let creating: Promise<TrainingSession<Batch>> | undefined;
      const session = (): Promise<TrainingSession<Batch>> => (creating ??= this.createSession(key, candidate !== undefined));
      let resumed: Candidate | undefined;
      try {
        if (candidate !== undefined && overlap) session().catch(() => undefined);
        while (candidate !== undefined) {
          this.announce(candidate);
          const failure = await validateCandidate(
            { o, preview: (p, step, caption, here) => this.preview(p, step, caption, here), session, evalRng: () => this.root.fork("eval") },
            candidate,
            !overlap,
          );
          if (failure === undefined) break;
          if (o.validate.action === "warn") {
            this.out.warn(msg.validationWarned(candidate.loaded.name, failure));
            break;
          }
          if (o.validate.action === "stop")
            throw new NbresumeError(RunErrorCode.VALIDATION_FAILED, msg.validationStopped(candidate.loaded.name, failure), { where: candidate.loaded.path });
          this.out.warn(msg.skippedValidation(candidate.loaded.name, failure));
          candidate = await planner.next(candidate, failure);
        }
        resumed = candidate;
        if (resumed !== undefined) {
          const at = await planner.settle(resumed);
          this.resumedFrom = { ...checkpointRecord(resumed.loaded), path: at };
        }
      } catch (error) {
        await creating?.then(
          (s) => s.release(),
          () => undefined,
        );
        throw error;
      }
      const origin =
        resumed === undefined ? start.origin : start.kind === "checkpoint" && start.candidate === resumed ? start.origin : planner.originOf(resumed);
      const restart = start.kind === "checkpoint" && start.restart;

      // ── 3. Resume exactly: the session (reused from the previous run in this process when it
      // fits, see session-cache.ts), then its state dict and everything else.
      const trained = await session();
      this.timings.compiled = this.elapsed();
      const loader = new DataLoader(o.train, { batchSize: o.batchSize, generator: this.root.fork("data") });
      const saves = new RunSaves(
        this.out,
        o.dir,
        store,
        {
          prepare: () => this.beforeSave(),
          request: (kind, evalMetrics) => this.request(trained, loader, kind, evalMetrics),
          parameters: () => this.previewParameters(trained),
          get ema() {
            return o.ema !== undefined;
          },
          committed: (step) => this.afterCommit(step),
        },
        this.previews,
        this.view,
      );
      saves.lastCheckpoint = this.resumedFrom;
      this.saves = saves;
      let reusable = false;
      let result: TrainResult;
      try {
        if (resumed === undefined) await this.freshStart(trained);
        else checkFingerprint(o, this.out, trained, resumed.loaded, resumed.saved);
        result = await this.train(saves, trained, loader, resumed, origin, restart);
        reusable = true;
      } finally {
        // Whatever ended the run: no preview still being drawn (an error or interrupt does not
        // wait for it), no save left in flight, and how each one ended shown.
        await this.previews.close();
        await saves.settle();
        await this.metricsLog?.flush().catch(() => undefined);
        this.out.end();
        if (reusable) await checkinSession(key, trained);
        else await trained.release();
      }
      // While the store is open: a mirrored store copies summary.json to its bucket too.
      await this.recordSummary(result);
      return result;
    } finally {
      this.saves = undefined;
      this.store = undefined;
      await store.close();
    }
  }

  private async createSession(key: string, resuming: boolean): Promise<TrainingSession<Batch>> {
    const o = this.o;
    // A fresh start always compiles anew: its initial parameters come from drawing them at creation.
    const cached = resuming ? checkoutSession(key) : undefined;
    this.timings.reusedSession = cached !== undefined;
    return (
      cached ??
      createTrainingSession({
        model: o.model,
        optimizer: o.optimizer,
        schedule: o.schedule,
        batchSize: o.batchSize,
        rng: this.root.fork("train"),
        gradNorm: true,
        ...(o.clipGradNorm === undefined ? {} : { clipGradNorm: o.clipGradNorm }),
        ...(o.threads === undefined ? {} : { threads: o.threads }),
      })
    );
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
      checkedState(loaded);
      this.out.info(msg.resolved(loaded.name, loaded.step, loaded.kind, loaded.epoch, lossOf(loaded.metrics)));
      this.resumedFrom = checkpointRecord(loaded);
      this.out.warn(msg.readOnlyRun(o.dir, cause.message));
      await this.preview(previewWeights(o, loaded), loaded.step, resumeCaption(o, loaded), true);
      this.stoppedBecause = msg.stoppedBecause.readOnly();
      return this.result("read-only", loaded.step, loaded.step, undefined);
    } finally {
      await reader.close();
    }
  }

  // ── 2. helpers ───────────────────────────────────────────────────────────────────────────────

  /** "Found …", and the config compared with the checkpoint's (an unsafe change stops here). */
  private announce(candidate: Candidate): void {
    const { loaded, saved } = candidate;
    this.out.info(msg.resolved(loaded.name, loaded.step, loaded.kind, loaded.epoch, lossOf(loaded.metrics)));
    checkConfig(this.o, this.config, this.out, loaded, saved);
    this.timings.loaded ??= this.elapsed();
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

  /** The model's previews of these parameters: shown inline and saved as preview-step-N.* (.png, .txt, .wav…). What their numbers say is wrong (undefined: none drawn). */
  private async preview(parameters: TensorGroup, step: number, caption: string, onThisThread: boolean): Promise<readonly string[] | undefined> {
    const offThread = !onThisThread && this.previews.offThread;
    const problems = await this.previews.showOnce(parameters, step, caption, onThisThread);
    if (problems === undefined) return undefined;
    this.timings.previewOffThread = offThread;
    this.timings.previewed = this.elapsed();
    return problems;
  }

  private startSampler(): void {
    this.previews.start();
    void this.previews.samplerReady?.then((at) => (this.timings.samplerReady ??= at - this.startedAt));
  }

  // ── 3. helpers ───────────────────────────────────────────────────────────────────────────────

  /** A fresh start: initial weights from initFrom, if given, then the preview of what they do. */
  private async freshStart(session: TrainingSession<Batch>): Promise<void> {
    const init = this.o.initFrom;
    let caption = msg.freshPreviewCaption();
    if (init !== undefined) {
      this.out.info(msg.warmStarted(await initSession(session, init)));
      caption = msg.warmCaption(init.path.split(/[\\/]/).pop() ?? init.path);
    }
    // A fresh start's preview: what the initial parameters do (noise, or chance-level guesses).
    await this.preview(session.parameters(), 0, caption, this.samplerMode !== "thread");
  }

  /** Restores the session, the loader and the run's book from `resumed` (or starts them fresh); the step training starts at. */
  private async restore(
    session: TrainingSession<Batch>,
    loader: DataLoader,
    resumed: Candidate | undefined,
    origin: RunOrigin,
    restart: boolean,
  ): Promise<{ startStep: number; reset: readonly string[] }> {
    const o = this.o;
    let reset: readonly string[] = [];
    if (resumed === undefined) {
      this.book = RunBook.fresh(o, origin);
      this.book.startEma(o, session.parameters(), undefined, this.out);
    } else {
      if (o.initFrom !== undefined) this.out.info(msg.initIgnored(o.initFrom.path, resumed.loaded.name));
      reset = restoreSession(session, loader, resumed, o, this.out, restart);
      this.book = restart ? RunBook.fresh(o, origin) : RunBook.resumed(o, resumed.saved, origin);
      this.book.startEma(
        o,
        session.parameters(),
        restart ? undefined : { name: resumed.loaded.name, tensors: resumed.loaded.tensors, saved: resumed.saved },
        this.out,
      );
    }
    const startStep = session.stepCount;
    const opened = await MetricsLog.open(o.dir, startStep);
    this.metricsLog = opened.log;
    if (opened.note?.kind === "missing") this.out.warn(msg.metricsMissing(opened.note.has, opened.note.resumed));
    if (opened.note?.kind === "kept-aside") this.out.info(msg.metricsKeptAside(opened.note.file));
    return { startStep, reset };
  }

  // ── 4. helpers ───────────────────────────────────────────────────────────────────────────────

  private elapsed(): number {
    return performance.now() - this.startedAt;
  }

  private refresh(session: TrainingSession<Batch>, loader: DataLoader, final: boolean): Promise<void> {
    return this.view.refresh(
      session.stepCount,
      { epoch: loader.epoch, validation: this.book?.validation ?? null, lastCheckpoint: this.saves?.lastCheckpoint, saves: this.saves?.status() },
      final,
    );
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

  /** The step the session is at, for the live view's notes (set when training starts and after each step). */
  private currentStep = 0;

  // ── 3.–6. ──────────────────────────────────────────────────────────────────────────────────

  private async train(
    saves: RunSaves,
    session: TrainingSession<Batch>,
    loader: DataLoader,
    resumed: Candidate | undefined,
    origin: RunOrigin,
    restart: boolean,
  ): Promise<TrainResult> {
    const o = this.o;

    // ── 3. Resume exactly (continued) ──────────────────────────────────────────────────────────
    const { startStep, reset } = await this.restore(session, loader, resumed, origin, restart);
    const book = this.requireBook();
    if (resumed !== undefined) {
      if (startStep >= o.steps) {
        this.out.info(msg.alreadyFinished(startStep, o.steps, resumed.loaded.name));
        this.stoppedBecause = msg.stoppedBecause.alreadyFinished(startStep);
        return this.result("already-finished", session.stepCount, startStep, undefined);
      }
      if (book.earlyStopping?.alreadyStopped === true) {
        const es = book.earlyStopping;
        this.out.info(msg.alreadyStoppedEarly(startStep, resumed.loaded.name, es.options.metric, es.options.patience));
        this.stoppedBecause = msg.stoppedBecause.earlyStopping(es.options.metric, es.options.patience);
        return this.result("already-finished", session.stepCount, startStep, undefined);
      }
      this.out.info(msg.resumed(startStep, o.steps, loader.epoch, loader.position, reset as never[]));
    }
    this.view.begin(startStep);
    this.currentStep = startStep;
    book.clock.restart();
    this.timings.training = this.elapsed();
    // Warm by the first checkpoint; its start overlaps the first steps, not the resume.
    this.startSampler();

    // ── 4. Loop with live progress (5. saves inside) ───────────────────────────────────────────
    if (!this.signal.aborted) {
      this.out.info(msg.training(startStep, o.steps));
      this.view.status = "training";
      await this.refresh(session, loader, false);
    }
    let ended: LoopEnd | undefined;
    while (ended === undefined && session.stepCount < o.steps && !this.signal.aborted && saves.savesFailing === undefined) {
      const batch = loader.next();
      let r: StepResult;
      try {
        r = await session.step(batch, { skipNonFinite: book.guard.skipsInSession });
      } catch (error) {
        if (!isNonFiniteStep(error)) throw error;
        ended = {
          end: "diverged",
          step: session.stepCount + 1,
          detail: error.message.replace(/^Step \d+: /, "").replace(/\. The parameters.*$/, ""),
          why: "diverged",
        };
        break;
      }
      this.timings.firstStep ??= this.elapsed();
      const verdict: GuardVerdict = book.guard.afterStep(r);
      if (verdict.action === "stop") {
        ended = {
          end: "diverged",
          step: r.step,
          detail: msg.nonFiniteDetail(r.skipped ?? "loss", r.skipped === "gradient" ? r.metrics["grad_norm"] : r.loss),
          why: verdict.why,
        };
        break;
      }
      if (verdict.action === "rollback") {
        if (!(await this.rollBackAfterDivergence(saves, session, loader, r))) {
          ended = { end: "diverged", step: r.step, detail: msg.nonFiniteDetail(r.skipped ?? "loss", r.loss), why: "diverged" };
          break;
        }
        continue;
      }
      this.currentStep = r.step;
      book.recordStep(r.step, r.loss);
      if (r.skipped === undefined) book.ema?.update(session.parameters());
      book.clock.tick();
      this.metricsLog?.record(r.step, {
        epoch: loader.epoch,
        loss: r.loss,
        smoothed: book.smoothed.value,
        lr: r.lr,
        gradNorm: r.metrics["grad_norm"],
        skipped: r.skipped,
      });
      this.view.record(r.step, r.loss);
      if (r.skipped !== undefined)
        this.out.event(msg.stepReport(r.step, [msg.skippedStep(msg.nonFiniteDetail(r.skipped, r.skipped === "gradient" ? r.metrics["grad_norm"] : r.loss))]));
      if ((await this.afterStep(saves, session, r.step, loader, batch.epochEnded)) === "early-stop") ended = { end: "early-stop" };
      await this.refresh(session, loader, false);
      await yieldToEventLoop();
    }

    const ending = this.ending(saves, session, loader);
    let end: Ending;
    if (ended?.end === "diverged") {
      end = await endDiverged(ending, ended.step, ended.detail, ended.why);
    } else if (saves.savesFailing !== undefined && session.stepCount < o.steps && ended === undefined) {
      // ── 5. Saves kept failing: stop as an interrupt does, then say why ─────────────────────────
      return endSavesFailing(ending, session.stepCount, saves.savesFailing);
    } else if (this.signal.aborted && ended === undefined && session.stepCount < o.steps) {
      // ── 6. Interrupt ─────────────────────────────────────────────────────────────────────────
      const reason: RunStopReason = this.callerSignal?.aborted === true ? "aborted" : (stopReason(this.signal) ?? "SIGINT");
      end = await endInterrupted(ending, session.stepCount, reason);
      this.stoppedBecause = end.stoppedBecause;
      return this.result(end.status, session.stepCount, startStep, reason);
    } else {
      end = await endFinished(ending, session.stepCount, this.view.smoothedLoss(), ended?.end === "early-stop" ? book.earlyStopping : undefined);
    }
    this.stoppedBecause = end.stoppedBecause;
    return this.result(end.status, session.stepCount, startStep, undefined);
  }

  /** What the run's endings need (run-endings.ts). */
  private ending(saves: RunSaves, session: TrainingSession<Batch>, loader: DataLoader): EndingContext {
    return { dir: this.o.dir, out: this.out, view: this.view, previews: this.previews, saves, refresh: () => this.refresh(session, loader, true) };
  }

  // ── 5. Save on the schedule ──────────────────────────────────────────────────────────────────

  /** After each step: validation, early stopping, and the checkpoint the schedule asks for. "early-stop" when the run ends here. */
  private async afterStep(
    saves: RunSaves,
    session: TrainingSession<Batch>,
    step: number,
    loader: DataLoader,
    epochEnded: boolean,
  ): Promise<"early-stop" | undefined> {
    const o = this.o;
    const book = this.requireBook();
    const report: string[] = [];
    let metrics: Record<string, number> | undefined;
    let newBest = false;
    let stop = false;
    if (o.evalEvery !== undefined && (step % o.evalEvery === 0 || step === o.steps)) {
      // The same fork every time: every evaluation sees the same noise, so values compare.
      metrics = await evaluateHeldOut(session, o.test!, o.batchSize, o.evalBatches, this.root.fork("eval"));
      book.validation = metrics;
      book.history.recordValidation(step, metrics["val_loss"] ?? Number.NaN);
      this.metricsLog?.validation(step, metrics);
      this.view.validated();
      const best = betterBest(book.best, o.bestMetric, step, metrics);
      if (best !== undefined) book.best = best;
      newBest = best !== undefined;
      report.push(msg.evaluated(metrics, newBest ? o.bestMetric.name : undefined));
      stop = book.earlyStopping?.observe(step, metrics) === "stop";
    }
    let kind = checkpointKindAfter(
      { steps: o.steps, checkpointEvery: o.checkpointEvery, epochEvery: o.epochEvery },
      step,
      loader.epoch,
      epochEnded,
      newBest,
      book.clock.due,
    );
    if (stop) kind = "final";
    if (kind !== undefined) {
      book.clock.saved();
      book.guard.checkpointed();
      // Never saved: parameters that are not finite (the guard keeps non-finite steps out; an overflow is caught here).
      const bad = nonFiniteTensors(session.parameters());
      if (bad !== undefined) {
        this.out.warn(msg.nonFiniteParameters(step, bad));
        kind = undefined;
      }
    }
    if (kind === "final") {
      await saves.settle();
      // Training is over: this thread has the cores (the sampler thread's one is slower), unless told otherwise.
      const saved = await saves.now(step, kind, metrics, this.samplerMode !== "thread");
      if (saved !== undefined) report.push(saved);
    } else if (kind !== undefined) {
      // Its step line ("… · saved rolling checkpoint → …") is shown once the save is committed.
      if (await saves.background(step, kind, metrics, report)) return stop ? "early-stop" : undefined;
    }
    if (report.length > 0) this.out.event(msg.stepReport(step, report));
    this.view.showDiskNote();
    return stop ? "early-stop" : undefined;
  }

  /** Before a checkpoint is requested: the model's graphs stored, metrics.jsonl durable up to this step. */
  private async beforeSave(): Promise<void> {
    await this.graphsReady();
    try {
      await this.metricsLog?.flush();
    } catch (error) {
      this.warnRecord("metrics.jsonl", error);
    }
  }

  /** After a checkpoint committed: loss.png beside it. */
  private async afterCommit(_step: number): Promise<void> {
    const book = this.book;
    if (book === undefined) return;
    try {
      await writeLossChart(this.o.dir, chartData(this.metricsLog, book.history), `${this.o.name} · loss`);
    } catch (error) {
      this.warnRecord("loss.png", error);
    }
  }

  private warnRecord(what: string, error: unknown): void {
    if (this.recordWarned) return;
    this.recordWarned = true;
    this.out.warn(msg.recordFailed(what, detail(error)));
  }

  /** What previews draw at a checkpoint: the EMA weights when kept, else the session's. */
  private previewParameters(session: TrainingSession<Batch>): TensorGroup {
    const parameters = session.parameters();
    const ema = this.book?.ema;
    return ema === undefined ? parameters : ema.tensors(parameters);
  }

  /** The checkpoint of the session's current step. */
  private request(
    session: TrainingSession<Batch>,
    loader: DataLoader,
    kind: CheckpointKind,
    evalMetrics: Readonly<Record<string, number>> | undefined,
  ): SaveRequest & { metrics: Metrics } {
    const book = this.requireBook();
    // The session's buffers, not copies: a step replaces its buffers and never writes into them
    // (and saveInBackground copies them before it returns anyway).
    const dict = session.stateDict();
    const state = book.runState(this.o, this.config, dict.state, loader.cursor(), {
      fingerprint: session.modelFingerprint,
      graphs: this.graphs.records() as unknown as JsonObject[],
      previews: this.previews.recorded,
    });
    const loss = this.view.smoothedLoss();
    const metrics: Metrics = { ...(loss === undefined ? {} : { loss }), ...(evalMetrics ?? {}) };
    const tensors = { model: dict.tensors.model, optimizer: dict.tensors.optimizer, ...book.tensors(dict.tensors.model) };
    return { kind, step: session.stepCount, epoch: loader.epoch, tensors, state, metrics };
  }

  /**
   * onNonFinite "rollback": back to the newest checkpoint, past the batch that diverged
   * (restore.ts), with metrics.jsonl and the live view back at its step. False when there is no
   * checkpoint to go back to.
   */
  private async rollBackAfterDivergence(saves: RunSaves, session: TrainingSession<Batch>, loader: DataLoader, r: StepResult): Promise<boolean> {
    if (this.store === undefined) return false;
    await saves.settle();
    const back = await rollBackTo(this.store, session, loader, this.requireBook(), this.o, this.out);
    if (back === undefined) return false;
    this.book = back.book;
    await this.metricsLog?.truncate(back.loaded.step);
    this.view.begin(back.loaded.step);
    this.currentStep = back.loaded.step;
    this.out.warn(msg.rolledBackAfterDivergence(r.step, msg.nonFiniteDetail(r.skipped ?? "loss", r.loss), back.loaded.name, back.loaded.step));
    return true;
  }

  /** summary.json: how this train() ended (a failure to write it is only warned about). */
  private async recordSummary(result: TrainResult): Promise<void> {
    try {
      await writeSummary(this.o.dir, summaryOf(result, this.book, this.startedIso));
    } catch (error) {
      this.warnRecord("summary.json", error);
    }
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
}

export type { Start };

/**
 * resumable(): a training run you can stop at any moment and start again where it stopped — the
 * same flow in a notebook cell, the demo CLI and a plain script. `train()` runs this pipeline
 * (steps 1–3 are Training below, 4–6 training-loop.ts; run-context.ts holds what they share):
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
import type { Batch } from "../engine/data/batch.js";
import { DataLoader } from "../engine/data/data-loader.js";
import type { JsonObject } from "../engine/nn/json.js";
import { modelFingerprint } from "../engine/session/model-discovery.js";
import { createTrainingSession } from "../engine/session/onnx-training-session.js";
import type { TrainingSession } from "../engine/session/training-session.js";
import { NbresumeError, isNbresumeError } from "../errors.js";
import { runExclusive } from "../notebook/interrupt.js";
import { RunErrorCode, runMessages as msg } from "./messages.js";
import { MetricsLog } from "./metrics-log.js";
import { resolveOptions, type ResolvedOptions } from "./options.js";
import { restoreSession } from "./restore.js";
import { checkArchitecture, checkConfig, checkedState, checkFingerprint, previewWeights, resumeCaption, validateCandidate } from "./resume-gate.js";
import { ResumePlanner, type Candidate, type Start } from "./resume-plan.js";
import { RunBook } from "./run-book.js";
import { RunCheckpoints } from "./run-checkpoints.js";
import { configRows, runConfig } from "./run-config.js";
import { RunContext } from "./run-context.js";
import { hasSummary, summaryOf, writeSummary } from "./run-record.js";
import { checkpointRecord, lossOf, RunSaves } from "./run-saves.js";
import type { RunOrigin } from "./run-state.js";
import type { ResumableOptions, Run, TrainOptions, TrainResult } from "./run.js";
import { checkinSession, checkoutSession, hasCachedSession } from "./session-cache.js";
import { TrainingLoop } from "./training-loop.js";
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

/** One call of train(): resolve, verify and resume (steps 1–3), then the loop (training-loop.ts). */
class Training {
  private readonly ctx: RunContext;

  constructor(
    private readonly o: ResolvedOptions,
    private readonly config: JsonObject,
    private readonly signal: AbortSignal,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    this.ctx = new RunContext(o, config);
  }

  async run(): Promise<TrainResult> {
    try {
      return await this.pipeline();
    } finally {
      // Every way out: no sampler thread left behind (closed earlier on the usual ways out).
      await this.ctx.previews.close();
    }
  }

  private async pipeline(): Promise<TrainResult> {
    const { o, ctx } = this;
    const key = sessionKey(o);
    // Whether the sampler thread draws the resume preview while this thread compiles the training
    // session: then it starts now, beside resolve and load. Otherwise (a reused session leaves
    // nothing to overlap; on 2 cores the overlap was slower, see PreviewOptions.sampler) the
    // preview is drawn here first, and the thread starts just before the loop.
    const overlap = ctx.previews.offThread && (ctx.samplerMode === "thread" || (ctx.samplerMode === "auto" && !hasCachedSession(key) && spareCores(o)));
    if (overlap) ctx.startSampler();
    // ── 1. Resolve ─────────────────────────────────────────────────────────────────────────────
    let store: CheckpointStore;
    try {
      store = await CheckpointStore.open(o.dir, { ...o.checkpointStore, ...(o.keep === undefined ? {} : { keep: o.keep }), bestMetric: o.bestMetric });
    } catch (error) {
      if (!isNbresumeError(error, CheckpointErrorCode.DIR_NOT_WRITABLE)) throw error;
      return this.readOnly(error);
    }
    ctx.store = store;
    try {
      const planner = new ResumePlanner(store, o, this.config, ctx.out);
      const start = await planner.first();
      ctx.timings.resolved = ctx.elapsed();
      let candidate = start.kind === "checkpoint" ? start.candidate : undefined;
      if (start.kind === "scratch") {
        ctx.out.info(msg.startingFromScratch(o.dir));
        const rows = configRows(this.config);
        ctx.out.table({ title: msg.configTitle(rows.length), columns: ["setting", "value"], rows, collapsed: true });
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
            { o, preview: (p, step, caption, here) => ctx.preview(p, step, caption, here), session, evalRng: () => ctx.root.fork("eval") },
            candidate,
            !overlap,
          );
          if (failure === undefined) break;
          if (o.validate.action === "warn") {
            ctx.out.warn(msg.validationWarned(candidate.loaded.name, failure));
            break;
          }
          if (o.validate.action === "stop")
            throw new NbresumeError(RunErrorCode.VALIDATION_FAILED, msg.validationStopped(candidate.loaded.name, failure), { where: candidate.loaded.path });
          ctx.out.warn(msg.skippedValidation(candidate.loaded.name, failure));
          candidate = await planner.next(candidate, failure);
        }
        resumed = candidate;
        if (resumed !== undefined) {
          const at = await planner.settle(resumed);
          ctx.resumedFrom = { ...checkpointRecord(resumed.loaded), path: at };
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
      ctx.timings.compiled = ctx.elapsed();
      const loader = new DataLoader(o.train, { batchSize: o.batchSize, generator: ctx.root.fork("data") });
      const saves = new RunSaves(ctx.out, o.dir, store, new RunCheckpoints(ctx, trained, loader), ctx.previews, ctx.view);
      saves.lastCheckpoint = ctx.resumedFrom;
      ctx.saves = saves;
      let reusable = false;
      let result: TrainResult;
      try {
        if (resumed === undefined) await this.freshStart(trained);
        else checkFingerprint(o, ctx.out, trained, resumed.loaded, resumed.saved);
        result = await this.resume(saves, trained, loader, resumed, origin, restart);
        reusable = true;
      } finally {
        // Whatever ended the run: no preview still being drawn (an error or interrupt does not
        // wait for it), no save left in flight, and how each one ended shown.
        await ctx.previews.close();
        await saves.settle();
        await ctx.metricsLog?.flush().catch(() => undefined);
        ctx.out.end();
        if (reusable) await checkinSession(key, trained);
        else await trained.release();
      }
      // While the store is open: a mirrored store copies summary.json to its bucket too.
      await this.recordSummary(result);
      return result;
    } finally {
      ctx.saves = undefined;
      ctx.store = undefined;
      // A mirror that could not catch up is said, not thrown: the local checkpoints are complete.
      const closed = await store.close();
      for (const w of closed.warnings) ctx.out.warn(w);
    }
  }

  private async createSession(key: string, resuming: boolean): Promise<TrainingSession<Batch>> {
    const o = this.o;
    // A fresh start always compiles anew: its initial parameters come from drawing them at creation.
    const cached = resuming ? checkoutSession(key) : undefined;
    this.ctx.timings.reusedSession = cached !== undefined;
    return (
      cached ??
      createTrainingSession({
        model: o.model,
        optimizer: o.optimizer,
        schedule: o.schedule,
        batchSize: o.batchSize,
        rng: this.ctx.root.fork("train"),
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
    const { o, ctx } = this;
    const reader = await CheckpointStore.open(o.dir, { readOnly: true, bestMetric: o.bestMetric });
    try {
      const loaded = await reader.resolveAndLoad("auto");
      if (loaded === undefined) throw cause;
      for (const s of loaded.skipped) ctx.out.warn(msg.skippedCheckpoint(s.name, s.problem, loaded.name));
      checkedState(loaded);
      // Weights that do not fit this model are not previewed with it, read-only or not.
      checkArchitecture(o, loaded, []);
      ctx.out.info(msg.resolved(loaded.name, loaded.step, loaded.kind, loaded.epoch, lossOf(loaded.metrics)));
      ctx.resumedFrom = checkpointRecord(loaded);
      ctx.out.warn(msg.readOnlyRun(o.dir, cause.message));
      await ctx.preview(previewWeights(o, loaded), loaded.step, resumeCaption(o, loaded), true);
      ctx.stoppedBecause = msg.stoppedBecause.readOnly();
      return ctx.result("read-only", loaded.step, loaded.step, undefined);
    } finally {
      await reader.close();
    }
  }

  /** "Found …", and the config compared with the checkpoint's (an unsafe change stops here). */
  private announce(candidate: Candidate): void {
    const { loaded, saved } = candidate;
    this.ctx.out.info(msg.resolved(loaded.name, loaded.step, loaded.kind, loaded.epoch, lossOf(loaded.metrics)));
    checkConfig(this.o, this.config, this.ctx.out, loaded, saved);
    this.ctx.timings.loaded ??= this.ctx.elapsed();
  }

  /** A fresh start: initial weights from initFrom, if given, then the preview of what they do. */
  private async freshStart(session: TrainingSession<Batch>): Promise<void> {
    const { o, ctx } = this;
    const init = o.initFrom;
    let caption = msg.freshPreviewCaption();
    if (init !== undefined) {
      ctx.out.info(msg.warmStarted(await initSession(session, init)));
      caption = msg.warmCaption(init.path.split(/[\\/]/).pop() ?? init.path);
    }
    // A fresh start's preview: what the initial parameters do (noise, or chance-level guesses).
    await ctx.preview(session.parameters(), 0, caption, ctx.samplerMode !== "thread");
  }

  /**
   * Step 3 (continued): the session, the loader and the run's book restored from `resumed` (or
   * started fresh), metrics.jsonl cut back to the step; a run already at `steps` or stopped early
   * says so and ends here; otherwise the loop (4.–6.).
   */
  private async resume(
    saves: RunSaves,
    session: TrainingSession<Batch>,
    loader: DataLoader,
    resumed: Candidate | undefined,
    origin: RunOrigin,
    restart: boolean,
  ): Promise<TrainResult> {
    const { o, ctx } = this;
    let reset: readonly string[] = [];
    if (resumed === undefined) {
      ctx.book = RunBook.fresh(o, origin);
      ctx.book.startEma(o, session.parameters(), undefined, ctx.out);
    } else {
      if (o.initFrom !== undefined) ctx.out.info(msg.initIgnored(o.initFrom.path, resumed.loaded.name));
      reset = restoreSession(session, loader, resumed, o, ctx.out, restart);
      ctx.book = restart ? RunBook.fresh(o, origin) : RunBook.resumed(o, resumed.saved, origin);
      ctx.book.startEma(
        o,
        session.parameters(),
        restart ? undefined : { name: resumed.loaded.name, tensors: resumed.loaded.tensors, saved: resumed.saved },
        ctx.out,
      );
    }
    const startStep = session.stepCount;
    const opened = await MetricsLog.open(o.dir, startStep);
    ctx.metricsLog = opened.log;
    if (opened.note?.kind === "missing") ctx.out.warn(msg.metricsMissing(opened.note.has, opened.note.resumed));
    if (opened.note?.kind === "kept-aside") ctx.out.info(msg.metricsKeptAside(opened.note.file));

    if (resumed !== undefined) {
      const book = ctx.book;
      if (startStep >= o.steps) {
        ctx.out.info(msg.alreadyFinished(startStep, o.steps, resumed.loaded.name));
        ctx.stoppedBecause = msg.stoppedBecause.alreadyFinished(startStep);
        return ctx.result("already-finished", session.stepCount, startStep, undefined);
      }
      if (book.earlyStopping?.alreadyStopped === true) {
        const es = book.earlyStopping;
        ctx.out.info(msg.alreadyStoppedEarly(startStep, resumed.loaded.name, es.options.metric, es.options.patience));
        ctx.stoppedBecause = msg.stoppedBecause.earlyStopping(es.options.metric, es.options.patience);
        return ctx.result("already-finished", session.stepCount, startStep, undefined);
      }
      ctx.out.info(msg.resumed(startStep, o.steps, loader.epoch, loader.position, reset as never[]));
    }
    return new TrainingLoop(ctx, saves, session, loader, this.signal, this.callerSignal).run(startStep);
  }

  /** summary.json: how this train() ended (a failure to write it is only warned about). */
  private async recordSummary(result: TrainResult): Promise<void> {
    try {
      // A rerun of a finished run trained nothing: the record of the train() that finished it says more.
      if (result.status === "already-finished" && (await hasSummary(this.o.dir))) return;
      await writeSummary(this.o.dir, summaryOf(result, this.ctx.book, this.ctx.startedIso));
    } catch (error) {
      this.ctx.warnRecord("summary.json", error);
    }
  }
}

export type { Start };

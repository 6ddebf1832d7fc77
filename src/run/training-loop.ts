/**
 * resumable()'s steps 4–6: the loop from the step training starts at to `steps` — each step, the
 * divergence guard's verdict, the EMA, metrics.jsonl, the live view; after each step the
 * validation, early stopping and the checkpoint the schedule asks for (5.); and how the loop
 * ended (run-endings.ts): finished, stopped early, diverged, saves failing, or interrupted (6.) —
 * a signal is seen only between steps, so an interrupted run stops at a step boundary and its
 * emergency checkpoint is exactly that step.
 */
import type { Batch } from "../engine/data/batch.js";
import type { DataLoader } from "../engine/data/data-loader.js";
import { EngineErrorCode } from "../engine/messages.js";
import type { StepResult, TrainingSession } from "../engine/session/training-session.js";
import { isNbresumeError, type NbresumeError } from "../errors.js";
import { stopReason } from "../notebook/interrupt.js";
import { checkpointKindAfter } from "./checkpoint-schedule.js";
import type { GuardVerdict } from "./divergence-guard.js";
import { betterBest, evaluateHeldOut } from "./evaluation.js";
import { runMessages as msg } from "./messages.js";
import { rollBackTo } from "./restore.js";
import { nonFiniteTensors } from "./resume-plan.js";
import type { RunContext } from "./run-context.js";
import { endDiverged, endFinished, endInterrupted, endSavesFailing, type Ending, type EndingContext } from "./run-endings.js";
import type { RunSaves } from "./run-saves.js";
import type { RunStopReason, TrainResult } from "./run.js";

function yieldToEventLoop(): Promise<void> {
  // onnxruntime's run() blocks while it computes: give signals and I/O a turn between steps.
  return new Promise((resolve) => setImmediate(resolve));
}

function isNonFiniteStep(error: unknown): error is NbresumeError {
  return isNbresumeError(error, EngineErrorCode.NONFINITE_LOSS) || isNbresumeError(error, EngineErrorCode.NONFINITE_GRADIENT);
}

/** How the loop ended besides running to `steps`. */
type LoopEnd =
  | { readonly end: "early-stop" }
  | { readonly end: "diverged"; readonly step: number; readonly detail: string; readonly why: "diverged" | "too-many-skips" | "too-many-rollbacks" };

export class TrainingLoop {
  constructor(
    private readonly ctx: RunContext,
    private readonly saves: RunSaves,
    private readonly session: TrainingSession<Batch>,
    private readonly loader: DataLoader,
    /** train()'s signal: SIGINT, SIGTERM, a newer run of the dir, or the caller's own. */
    private readonly signal: AbortSignal,
    /** The caller's own signal, if any: its abort is reported as "aborted". */
    private readonly callerSignal: AbortSignal | undefined,
  ) {}

  /** Steps 4–6 from `startStep` (the session, loader and book already restored). */
  async run(startStep: number): Promise<TrainResult> {
    const { ctx, saves, session, loader } = this;
    const o = ctx.o;
    const book = ctx.requireBook();
    ctx.view.begin(startStep);
    ctx.currentStep = startStep;
    book.clock.restart();
    ctx.timings.training = ctx.elapsed();
    // Warm by the first checkpoint; its start overlaps the first steps, not the resume.
    ctx.startSampler();

    // ── 4. Loop with live progress (5. saves inside) ───────────────────────────────────────────
    if (!this.signal.aborted) {
      ctx.out.info(msg.training(startStep, o.steps));
      ctx.view.status = "training";
      await this.refresh(false);
    }
    let ended: LoopEnd | undefined;
    while (ended === undefined && session.stepCount < o.steps && !this.signal.aborted && saves.savesFailing === undefined) {
      // A roll-back replaces the book: read it anew each step.
      const book = ctx.requireBook();
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
      ctx.timings.firstStep ??= ctx.elapsed();
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
        if (!(await this.rollBackAfterDivergence(r))) {
          ended = { end: "diverged", step: r.step, detail: msg.nonFiniteDetail(r.skipped ?? "loss", r.loss), why: "diverged" };
          break;
        }
        continue;
      }
      ctx.currentStep = r.step;
      book.recordStep(r.step, r.loss);
      if (r.skipped === undefined) book.ema?.update(session.parameters());
      book.clock.tick();
      ctx.metricsLog?.record(r.step, {
        epoch: loader.epoch,
        loss: r.loss,
        smoothed: book.smoothed.value,
        lr: r.lr,
        gradNorm: r.metrics["grad_norm"],
        skipped: r.skipped,
      });
      ctx.view.record(r.step, r.loss);
      if (r.skipped !== undefined)
        ctx.out.event(msg.stepReport(r.step, [msg.skippedStep(msg.nonFiniteDetail(r.skipped, r.skipped === "gradient" ? r.metrics["grad_norm"] : r.loss))]));
      if ((await this.afterStep(r.step, batch.epochEnded)) === "early-stop") ended = { end: "early-stop" };
      await this.refresh(false);
      await yieldToEventLoop();
    }

    const ending = this.ending();
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
      ctx.stoppedBecause = end.stoppedBecause;
      return ctx.result(end.status, session.stepCount, startStep, reason);
    } else {
      end = await endFinished(ending, session.stepCount, ctx.view.smoothedLoss(), ended?.end === "early-stop" ? ctx.requireBook().earlyStopping : undefined);
    }
    ctx.stoppedBecause = end.stoppedBecause;
    return ctx.result(end.status, session.stepCount, startStep, undefined);
  }

  private refresh(final: boolean): Promise<void> {
    const { ctx, session, loader } = this;
    return ctx.view.refresh(
      session.stepCount,
      { epoch: loader.epoch, validation: ctx.book?.validation ?? null, lastCheckpoint: ctx.saves?.lastCheckpoint, saves: ctx.saves?.status() },
      final,
    );
  }

  /** What the run's endings need (run-endings.ts). */
  private ending(): EndingContext {
    const { ctx } = this;
    return { dir: ctx.o.dir, out: ctx.out, view: ctx.view, previews: ctx.previews, saves: this.saves, refresh: () => this.refresh(true) };
  }

  // ── 5. Save on the schedule ──────────────────────────────────────────────────────────────────

  /** After each step: validation, early stopping, and the checkpoint the schedule asks for. "early-stop" when the run ends here. */
  private async afterStep(step: number, epochEnded: boolean): Promise<"early-stop" | undefined> {
    const { ctx, saves, session, loader } = this;
    const o = ctx.o;
    const book = ctx.requireBook();
    const report: string[] = [];
    let metrics: Record<string, number> | undefined;
    let newBest = false;
    let stop = false;
    if (o.evalEvery !== undefined && (step % o.evalEvery === 0 || step === o.steps)) {
      // The same fork every time: every evaluation sees the same noise, so values compare.
      metrics = await evaluateHeldOut(session, o.test!, o.batchSize, o.evalBatches, ctx.root.fork("eval"));
      book.validation = metrics;
      book.history.recordValidation(step, metrics["val_loss"] ?? Number.NaN);
      ctx.metricsLog?.validation(step, metrics);
      ctx.view.validated();
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
        ctx.out.warn(msg.nonFiniteParameters(step, bad));
        kind = undefined;
      }
    }
    if (kind === "final") {
      await saves.settle();
      // Training is over: this thread has the cores (the sampler thread's one is slower), unless told otherwise.
      const saved = await saves.now(step, kind, metrics, ctx.samplerMode !== "thread");
      if (saved !== undefined) report.push(saved);
    } else if (kind !== undefined) {
      // Its step line ("… · saved rolling checkpoint → …") is shown once the save is committed.
      if (await saves.background(step, kind, metrics, report)) return stop ? "early-stop" : undefined;
    }
    if (report.length > 0) ctx.out.event(msg.stepReport(step, report));
    ctx.view.showDiskNote();
    return stop ? "early-stop" : undefined;
  }

  /**
   * onNonFinite "rollback": back to the newest checkpoint, past the batch that diverged
   * (restore.ts), with metrics.jsonl and the live view back at its step. False when there is no
   * checkpoint to go back to.
   */
  private async rollBackAfterDivergence(r: StepResult): Promise<boolean> {
    const { ctx, saves, session, loader } = this;
    if (ctx.store === undefined) return false;
    await saves.settle();
    const back = await rollBackTo(ctx.store, session, loader, ctx.requireBook(), ctx.o, ctx.out);
    if (back === undefined) return false;
    ctx.book = back.book;
    await ctx.metricsLog?.truncate(back.loaded.step);
    ctx.view.begin(back.loaded.step);
    ctx.currentStep = back.loaded.step;
    ctx.out.warn(msg.rolledBackAfterDivergence(r.step, msg.nonFiniteDetail(r.skipped ?? "loss", r.loss), back.loaded.name, back.loaded.step));
    return true;
  }
}

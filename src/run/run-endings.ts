/**
 * How a train() ends, said once (resumable()'s step 6 and the end of 4.): every way out first
 * drops a preview still being drawn (an early end) and waits for the background save in flight,
 * leaves the live view as it ended, and says what happened and what to do:
 *
 *   finished        the final checkpoint (or that it could not be saved), where the outputs are
 *   stopped early   early stopping's reason, the final checkpoint of that step
 *   interrupted     an emergency checkpoint of the step (unless that step is already saved)
 *   diverged        which step and why; nothing non-finite applied or saved; what to do
 *   saves failing   an emergency checkpoint if it can, then RUN_SAVE_FAILING
 *
 * Each returns the status and why (TrainResult.stoppedBecause); the pipeline builds the result.
 */
import { NbresumeError } from "../errors.js";
import type { GuardVerdict } from "./divergence-guard.js";
import type { EarlyStopping } from "./early-stopping.js";
import type { LiveView } from "./live-view.js";
import { RunErrorCode, runMessages as msg } from "./messages.js";
import type { PreviewPresenter } from "./preview-presenter.js";
import type { RunOutput } from "./run-output.js";
import type { RunSaves } from "./run-saves.js";
import type { RunStopReason, TrainStatus } from "./run.js";
import { errorMessage } from "../shared/error-message.js";

export interface EndingContext {
  readonly dir: string;
  readonly out: RunOutput;
  readonly view: LiveView;
  readonly previews: PreviewPresenter;
  readonly saves: RunSaves;
  /** The last redraw of the live view. */
  refresh(): Promise<void>;
}

export interface Ending {
  readonly status: TrainStatus;
  readonly stoppedBecause: string;
}

function outputsAt(ctx: EndingContext): string {
  return msg.outputsAt(
    ctx.dir,
    ctx.previews.samplesFile === undefined ? undefined : "samples-step-*",
    ctx.previews.previewFile === undefined ? undefined : "preview-step-*",
  );
}

/** Trained to `steps`, or early stopping ended the run (its final checkpoint is saved). */
export async function endFinished(ctx: EndingContext, step: number, loss: number | undefined, early: EarlyStopping | undefined): Promise<Ending> {
  const { out, saves, view } = ctx;
  await saves.settle();
  view.status = saves.finalUnsaved ? "finished (final checkpoint NOT saved)" : early !== undefined ? "stopped early" : "finished";
  view.finishing();
  await ctx.refresh();
  out.end();
  ctx.previews.showLast();
  if (saves.finalUnsaved) {
    out.warn(msg.finishedUnsaved(step, saves.lastCheckpoint?.name));
    return { status: "finished-unsaved", stoppedBecause: msg.stoppedBecause.finished(step) };
  }
  if (early !== undefined) {
    const { metric, patience } = early.options;
    out.info(msg.earlyStopped(step, metric, patience, early.current.best, early.current.bestStep));
    out.info(outputsAt(ctx));
    return { status: "stopped-early", stoppedBecause: msg.stoppedBecause.earlyStopping(metric, patience) };
  }
  out.info(msg.finished(step, loss, saves.lastCheckpoint?.name ?? "(none)"));
  out.info(outputsAt(ctx));
  return { status: "finished", stoppedBecause: msg.stoppedBecause.finished(step) };
}

/** Stopped between steps: the emergency checkpoint, unless a save of this very step committed. */
export async function endInterrupted(ctx: EndingContext, step: number, reason: RunStopReason): Promise<Ending> {
  const { out, saves, view } = ctx;
  // A preview still being drawn is dropped (the user is waiting), then the background save in
  // flight: if it committed this very step, that is the checkpoint.
  await ctx.previews.close();
  await saves.settle();
  const alreadySaved = saves.newestStep() === step;
  if (!alreadySaved) await saves.now(step, "emergency", undefined, true);
  view.showDiskNote();
  view.status = "interrupted";
  await ctx.refresh();
  out.end();
  if (reason === "superseded") out.info(msg.superseded(step));
  else out.info(alreadySaved ? msg.interruptedAlreadySaved(step) : msg.interrupted(step));
  return { status: "interrupted", stoppedBecause: msg.stoppedBecause.interrupted(reason) };
}

/** The divergence guard stopped the run at `step`: nothing non-finite was applied or saved; where to resume from. */
export async function endDiverged(ctx: EndingContext, step: number, what: string, why: Extract<GuardVerdict, { action: "stop" }>["why"]): Promise<Ending> {
  const { out, saves, view } = ctx;
  await ctx.previews.close();
  await saves.settle();
  view.status = "diverged";
  await ctx.refresh();
  out.end();
  out.warn(msg.diverged(step, what, saves.lastCheckpoint?.name, why));
  return { status: "diverged", stoppedBecause: `${what} at step ${step}` };
}

/** Saves kept failing: stop as an interrupt does (emergency checkpoint if it can), then reject with the store's reason. */
export async function endSavesFailing(ctx: EndingContext, step: number, reason: NbresumeError): Promise<never> {
  const { out, saves, view } = ctx;
  await ctx.previews.close();
  await saves.settle();
  let emergency = false;
  // A lost lock lets nothing commit: the run's newest checkpoint is its last committed one.
  if (saves.newestStep() !== step && !saves.lockLost) {
    try {
      emergency = (await saves.now(step, "emergency", undefined, true)) !== undefined;
    } catch (error) {
      out.warn(errorMessage(error));
    }
  }
  view.showDiskNote();
  view.status = msg.stoppedStatus();
  await ctx.refresh();
  out.end();
  out.info(msg.stoppedSavesFailing(step, saves.lastCheckpoint?.name, emergency));
  throw new NbresumeError(RunErrorCode.SAVE_FAILING, reason.message, { where: ctx.dir, cause: reason });
}

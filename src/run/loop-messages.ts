/**
 * The run's messages of steps 3–6 (resume, the loop and its saves, interrupts) and of rolling
 * back — part of runMessages (messages.ts), which tests and call sites use.
 */
import { displayPath } from "./display-path.js";
import { plural, type ResumePart } from "./message-parts.js";
import { formatBytes, formatCount, formatDuration, formatLoss } from "../shared/format.js";

export const loopMessages = {
  // ── 3. resume ──────────────────────────────────────────────────────────────────────────────
  /** What a resume restored and, when `load` said so (or the optimizer changed), what it reset. */
  resumed(step: number, total: number, epoch: number, position: number, reset: readonly ResumePart[] = []): string {
    const all: ResumePart[] = ["optimizer", "schedule", "RNG", "data order"];
    const restored = all.filter((p) => !reset.includes(p));
    const list = (parts: readonly string[]): string => (parts.length <= 1 ? parts.join("") : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`);
    const head = `Resuming at step ${formatCount(step)} of ${formatCount(total)} (epoch ${epoch}, batch ${position}): `;
    if (reset.length === 0) return `${head}optimizer, schedule, RNG and data order restored.`;
    const what: Record<ResumePart, string> = {
      optimizer: "optimizer reset (fresh moments)",
      schedule: "schedule restarted at step 0",
      RNG: "RNG reset (as a fresh run with this seed draws it)",
      "data order": "data order reset (epoch 0, batch 0)",
    };
    return `${head}weights${restored.length === 0 ? "" : `, ${list(restored)}`} restored; ${list(reset.map((r) => what[r]))}.`;
  },
  emaStarted(name: string | undefined): string {
    return name === undefined ? "ema: averaging the weights from step 0." : `ema: ${name} has no EMA weights: the average starts from its weights now.`;
  },
  alreadyStoppedEarly(step: number, name: string, metric: string, patience: number): string {
    return `This run already stopped early: ${name} is at step ${formatCount(step)} (${metric} did not improve for ${plural(patience, "evaluation")}). Nothing to train; raise earlyStopping.patience (or drop earlyStopping) to continue it.`;
  },
  alreadyFinished(step: number, steps: number, name: string): string {
    return (
      `This run already finished: ${name} is at step ${formatCount(step)} (steps: ${formatCount(steps)}). ` +
      `Nothing to train; raise steps to continue it, or use a new dir for a new run.`
    );
  },

  // ── 4./5. loop and saves ───────────────────────────────────────────────────────────────────
  training(from: number, steps: number): string {
    return from === 0 ? `Training ${formatCount(steps)} steps.` : `Training steps ${formatCount(from + 1)}–${formatCount(steps)}.`;
  },
  /** One line per step that evaluated or saved: "step 200 · val_loss 0.21 (new best) · saved rolling checkpoint → samples-step-00000200.png". */
  stepReport(step: number, parts: readonly string[]): string {
    return [`step ${formatCount(step)}`, ...parts].join(" · ");
  },
  evaluated(metrics: Readonly<Record<string, number>>, best: string | undefined): string {
    return Object.entries(metrics)
      .map(([k, v]) => `${k} ${formatLoss(v)}${k === best ? " (new best)" : ""}`)
      .join(" · ");
  },
  saved(kind: string, file: string | undefined): string {
    return `saved ${kind} checkpoint${file === undefined ? "" : ` → ${file}`}`;
  },
  /** In a step line: this checkpoint's grid was not drawn, a newer checkpoint's replaced it while the sampler was busy. */
  gridSkipped(): string {
    return "no sample grid (the sampler was busy; the next checkpoint's is drawn)";
  },
  /** The live view's line about a mirror's uploads (checkpointStore.mirror). */
  /** `ending`: training is over, and train() returns once what is still uploading is in the bucket. */
  mirrorNote(
    target: string,
    uploading: { name: string; bytes: number; totalBytes: number } | undefined,
    behind: number,
    lastUploaded: string | undefined,
    failures: number,
    lastError: string | undefined,
    ending = false,
  ): string {
    if (failures > 0)
      return `mirror ${target}: ${plural(failures, "upload")} failed in a row (${lastError ?? "no detail"}); ${ending ? "tried again as the store closes" : "tried again with the next checkpoint"}`;
    const wait = ending ? "; train() returns once it is in the bucket (or after a minute in which no upload moves)" : "";
    if (uploading !== undefined)
      return `mirror ${target}: uploading ${uploading.name} (${formatBytes(uploading.bytes)} of ${formatBytes(uploading.totalBytes)})${behind > 1 ? `, ${behind - 1} more queued` : ""}${wait}`;
    if (behind > 0) return `mirror ${target}: ${plural(behind, "checkpoint")} waiting to upload${wait}`;
    return lastUploaded === undefined ? `mirror ${target}: nothing uploaded yet` : `mirror ${target}: up to date (${lastUploaded})`;
  },
  diskUsage(dir: string, checkpoints: number, checkpointBytes: number, previews: number, previewBytes: number): string {
    return `disk: ${displayPath(dir)} holds ${plural(checkpoints, "checkpoint")} (${formatBytes(checkpointBytes)}) and ${plural(previews, "preview file")} (${formatBytes(previewBytes)})`;
  },
  saveWarning(detail: string): string {
    return `Checkpoint warning: ${detail}`;
  },
  saveFailed(step: number, detail: string): string {
    return `Saving the checkpoint of step ${formatCount(step)} failed: ${detail}. Training continues; the previous checkpoints are intact.`;
  },
  /** The last step's checkpoint could not be committed, even when tried again. */
  finalSaveFailed(step: number, attempts: number, detail: string, bucket = false): string {
    const fix = bucket ? "check the network, the endpoint and the credentials" : "free disk space or fix the directory";
    return `The final checkpoint (step ${formatCount(step)}) could not be saved after ${plural(attempts, "attempt")}: ${detail.replace(/\.$/, "")}. Training is done but its end is not saved; ${fix}, then rerun: it resumes from the newest committed checkpoint and trains to the end again.`;
  },
  finishedUnsaved(step: number, newest: string | undefined): string {
    return `Finished at step ${formatCount(step)}, but the final checkpoint was NOT saved (see above)${newest === undefined ? "" : `; the newest committed checkpoint is ${newest}`}.`;
  },
  saveFailing(failures: number, detail: string): string {
    return `Stopped training: ${plural(failures, "checkpoint save")} in a row failed (last: ${detail}). Free disk space or fix the directory, then rerun to resume from the last committed checkpoint.`;
  },
  /** The live view while background saves are failing (a warning line, and the terminal's status). */
  savesFailingNote(failures: number, limit: number): string {
    return `${plural(failures, "checkpoint save")} in a row failed (training stops at ${limit}); the warnings above say why`;
  },
  savesFailingStatus(failures: number, limit: number): string {
    return `training · ${failures}/${limit} saves failed`;
  },
  pictureNotWritten(file: string, detail: string): string {
    return `The sample grid ${displayPath(file)} could not be written (${detail}); training continues.`;
  },
  backgroundWorkFailed(detail: string): string {
    return `Work after a background save failed (${detail}); training continues.`;
  },
  afterSaveFailed(name: string, detail: string): string {
    return `Checkpoint ${name} is committed, but tidying up after it (sample grids of pruned checkpoints, disk usage) failed: ${detail}.`;
  },
  alreadySaved(kind: string): string {
    return `a ${kind} checkpoint of this step already exists; kept it`;
  },
  renderFailed(what: string, detail: string): string {
    return `${what} could not be rendered (${detail}); training continues.`;
  },
  finished(step: number, loss: number | undefined, name: string): string {
    const l = loss === undefined ? "" : ` · loss ${formatLoss(loss)}`;
    return `Finished at step ${formatCount(step)}${l} · final checkpoint ${name}.`;
  },
  /** Names only what the run wrote: previews beside checkpoints and on resume when there are any. */
  outputsAt(dir: string, besideCheckpoints: string | undefined, onResume: string | undefined): string {
    const parts = ["checkpoints (ckpt-step-*)"];
    if (besideCheckpoints !== undefined) parts.push(`previews beside them (${besideCheckpoints})`);
    if (onResume !== undefined) parts.push(`the preview on resume (${onResume})`);
    return `Outputs in ${displayPath(dir)}: ${parts.join(", ")}.`;
  },

  earlyStopped(step: number, metric: string, patience: number, best: number | null, bestStep: number | null): string {
    const b = best === null ? "" : ` on ${formatLoss(best)} (step ${formatCount(bestStep ?? 0)})`;
    return `Stopped early at step ${formatCount(step)}: ${metric} did not improve${b} for ${plural(patience, "evaluation")} (earlyStopping).`;
  },
  earlyStoppingNote(metric: string, bad: number, patience: number): string {
    return `early stopping: ${metric} not improved for ${bad}/${patience} evaluations`;
  },
  /** The divergence guard stopped the run (onNonFinite: "stop", or too many skips / roll-backs). */
  diverged(step: number, detail: string, newest: string | undefined, why: "diverged" | "too-many-skips" | "too-many-rollbacks"): string {
    const head =
      why === "too-many-skips"
        ? `Stopped at step ${formatCount(step)}: ${detail}, and that was the ${formatCount(20)}th step in a row skipped`
        : why === "too-many-rollbacks"
          ? `Stopped at step ${formatCount(step)}: ${detail} again after 3 roll-backs in a row`
          : `Stopped at step ${formatCount(step)}: ${detail}`;
    const ckpt = newest === undefined ? "there is no checkpoint yet" : `the newest checkpoint is ${newest}`;
    return `${head} — not applied, nothing non-finite saved; ${ckpt}. Lower the learning rate or clip gradients (clipGradNorm), or pass onNonFinite: "skip-step" or "rollback", then rerun to resume.`;
  },
  nonFiniteDetail(what: "loss" | "gradient", value: number | undefined): string {
    return what === "loss" ? `the loss is ${String(value)}` : `the gradient norm is ${String(value)}`;
  },
  skippedStep(detail: string): string {
    return `skipped: ${detail} (onNonFinite: "skip-step")`;
  },
  rolledBackAfterDivergence(step: number, detail: string, name: string, toStep: number): string {
    return `Step ${formatCount(step)}: ${detail} — rolled back to ${name} (step ${formatCount(toStep)}), with the data moved past the batch that diverged (onNonFinite: "rollback").`;
  },
  nonFiniteParameters(step: number, detail: string): string {
    return `The parameters at step ${formatCount(step)} are not finite (${detail}): not saved.`;
  },
  metricsMissing(has: number, resumed: number): string {
    return `metrics.jsonl has ${plural(has, "step")} but the run resumes at step ${formatCount(resumed)}: the steps it lacks (a run from before it was kept, or a file cut short) stay missing; new steps are appended.`;
  },
  /** A mirrored run whose directory had nothing as new as the bucket (a new machine): what the store copied down. */
  pulledFromMirror(name: string, target: string, skipped: readonly { name: string; problem: string }[]): string {
    const passed = skipped.length === 0 ? "" : ` (passed over ${skipped.map((s) => `${s.name}: ${s.problem}`).join("; ")})`;
    return `Copied ${name} down from the mirror ${target}: newer than anything in the directory${passed}.`;
  },
  metricsKeptAside(file: string): string {
    return `A metrics.jsonl with no checkpoint left to go with it was kept as ${displayPath(file)}.`;
  },
  recordFailed(what: string, detail: string): string {
    return `The run's record (${what}) could not be written (${detail}); training continues.`;
  },
  nextCheckpointNote(step: number | undefined, ms: number | undefined): string {
    const at = step === undefined ? undefined : `step ${formatCount(step)}`;
    const inTime = ms === undefined ? undefined : `in ${formatDuration(ms)}`;
    return `next checkpoint: ${at !== undefined && inTime !== undefined ? `${at} or ${inTime}, whichever comes first` : (at ?? inTime ?? "at the end")}`;
  },
  stoppedBecause: {
    finished(steps: number): string {
      return `trained to step ${formatCount(steps)}`;
    },
    alreadyFinished(steps: number): string {
      return `already at step ${formatCount(steps)}`;
    },
    interrupted(reason: string): string {
      return `interrupted (${reason})`;
    },
    earlyStopping(metric: string, patience: number): string {
      return `${metric} did not improve for ${plural(patience, "evaluation")}`;
    },
    readOnly(): string {
      return "the run directory cannot be written";
    },
  },

  // ── 6. interrupt ───────────────────────────────────────────────────────────────────────────
  interrupted(step: number): string {
    return `interrupted at step ${step} — emergency checkpoint saved — rerun the cell to resume`;
  },
  interruptedAlreadySaved(step: number): string {
    return `interrupted at step ${step} — checkpoint of step ${step} already saved — rerun the cell to resume`;
  },
  superseded(step: number): string {
    return `stopped at step ${step} for a newer run of the same directory — emergency checkpoint saved`;
  },
  stoppedStatus(): string {
    return "stopped: checkpoint saves failing";
  },
  stoppedSavesFailing(step: number, checkpoint: string | undefined, emergency: boolean): string {
    const resume =
      checkpoint === undefined ? "no checkpoint to resume from yet" : `${emergency ? "emergency checkpoint saved" : "newest checkpoint"}: ${checkpoint}`;
    return `stopped at step ${step} — checkpoint saves keep failing — ${resume} — fix the cause, then rerun to resume`;
  },
  emergencySaveFailed(step: number, detail: string): string {
    return (
      `Interrupted at step ${formatCount(step)}, but the emergency checkpoint could not be saved (${detail}). ` +
      `The previous committed checkpoint is intact; rerun to resume from it.`
    );
  },

  // ── roll back ──────────────────────────────────────────────────────────────────────────────
  rolledBack(target: string, step: number, moved: number, aside: string | undefined, bytes: number): string {
    return moved === 0
      ? `${target} (step ${formatCount(step)}) is already the newest checkpoint: nothing to roll back.`
      : `Rolled back to ${target} (step ${formatCount(step)}): moved ${plural(moved, "newer checkpoint")} (${formatBytes(bytes)}), with their sample grids and a copy of the run's record, to ${aside === undefined ? "" : displayPath(aside)}. ` +
          `The next train() resumes from step ${formatCount(step)}; delete that folder to free the space.`;
  },
} as const;

/**
 * The run's checkpoints as they are saved, and how each save ended, said once:
 *
 *   background(kind)   rolling / epoch / best: the store snapshots the state and training goes on
 *                      while it is written; the previews are drawn meanwhile. What follows the
 *                      commit (its step line, the previews' files, pruning, disk usage) runs in
 *                      order in `sideWork`. The store counts failures; too many stop the loop.
 *   now(kind)          final / emergency: synchronous (settle() first), with previews beside a
 *                      final one (not an emergency one: the user is waiting)
 *   settle()           until the save in flight has committed or failed and what follows is done;
 *                      every way out of train() calls it, so nothing is written after it returns
 *
 * A failure of an earlier background save that the store reports to a later call is shown once,
 * then the later call is made again (the failure was the earlier save's).
 */
import { basename } from "node:path";
import { CheckpointErrorCode } from "../checkpoint/messages.js";
import type { BackgroundSave, BackgroundSaveStatus, CheckpointKind, CheckpointStore, Metrics, SavedCheckpoint, SaveRequest } from "../checkpoint/store.js";
import { NbresumeError, isNbresumeError } from "../errors.js";
import type { TensorGroup } from "../tensor.js";
import type { LiveView } from "./live-view.js";
import { RunErrorCode, runMessages as msg } from "./messages.js";
import type { PreviewPresenter } from "./preview-presenter.js";
import { listRunPictures, pruneSampleGrids } from "./run-files.js";
import type { RunOutput } from "./run-output.js";
import type { CheckpointRecord, SaveStats } from "./run.js";
import { isUrlLocation } from "../checkpoint/storage/location.js";
import { errorMessage } from "../shared/error-message.js";

/**
 * A disk-usage line of its own in a terminal every this many saves (and with the final and
 * emergency checkpoints); the notebook's live view shows the usage after every save.
 */
const DISK_USAGE_EVERY = 5;
/** Tries of the final checkpoint before the run says its end is not saved. */
const FINAL_SAVE_ATTEMPTS = 3;

export function checkpointRecord(c: { name: string; path: string; kind: CheckpointKind; step: number }): CheckpointRecord {
  return { name: c.name, path: c.path, kind: c.kind, step: c.step };
}

/** The loss a checkpoint's caption names: training (smoothed), else validation. */
export function lossOf(metrics: Metrics): number | undefined {
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

/** What a save needs from the run: the checkpoint of the current step and its parameters. */
export interface SaveSource {
  /** Anything that must be on disk before a checkpoint refers to it (the model's stored graphs, metrics.jsonl up to this step). */
  prepare(): Promise<void>;
  /** The checkpoint of the session's current step. */
  request(kind: CheckpointKind, evalMetrics: Readonly<Record<string, number>> | undefined): SaveRequest & { metrics: Metrics };
  /**
   * The parameters the previews draw: the EMA's when the run keeps one, else the session's current
   * buffers (steps replace them, never write into them; the EMA is updated only after the next step).
   */
  parameters(): TensorGroup;
  /** Whether parameters() are the EMA weights (said in the previews' captions). */
  readonly ema: boolean;
  /** After a checkpoint committed: the run's record beside it (loss.png). Never throws. */
  committed(step: number): Promise<void>;
}

export class RunSaves {
  readonly stats: { -readonly [K in keyof SaveStats]: SaveStats[K] } = { background: 0, synchronous: 0, failed: 0, backgroundCallMs: 0 };
  /** The newest committed checkpoint (or the one resumed from). */
  lastCheckpoint: CheckpointRecord | undefined;
  /** The store's CHECKPOINT_SAVES_FAILING, or CHECKPOINT_LOCK_LOST: the loop stops before the next step. */
  savesFailing: NbresumeError | undefined;
  /** Another writer holds the run's lock now: no save of this run can commit any more (not even an emergency one). */
  lockLost = false;
  /** The final checkpoint could not be saved, even when tried again. */
  finalUnsaved = false;
  /** Checkpoints committed by this train() (a terminal's disk-usage line comes every DISK_USAGE_EVERY). */
  private saves = 0;
  /** What follows each background save (its previews' files, then the work after its commit), in order; never rejects. */
  private sideWork: Promise<void> = Promise.resolve();
  /** Save failures already shown (the store reports each once more, to the next call). */
  private readonly shownFailures = new WeakSet<object>();

  constructor(
    private readonly out: RunOutput,
    private readonly dir: string,
    private readonly store: CheckpointStore,
    private readonly source: SaveSource,
    private readonly previews: PreviewPresenter,
    private readonly view: LiveView,
  ) {}

  /** A rolling, epoch or best checkpoint in the background. False when none was started (saves keep failing: the loop stops). */
  async background(step: number, kind: CheckpointKind, evalMetrics: Readonly<Record<string, number>> | undefined, report: readonly string[]): Promise<boolean> {
    const store = this.store;
    await this.source.prepare();
    const request = this.source.request(kind, evalMetrics);
    const t0 = performance.now();
    let bg: BackgroundSave | undefined;
    try {
      bg = await this.reportingFailures(() => store.saveInBackground(request), false);
    } finally {
      this.stats.backgroundCallMs += performance.now() - t0;
    }
    if (bg === undefined) return false;
    // Taken as the commit settles, before the next call to the store can take the store's report.
    const outcome = bg.committed.then(
      (saved): CommitOutcome => ({ ok: true, saved }),
      (error: unknown): CommitOutcome => {
        const reported = store.pendingError;
        if (isNbresumeError(reported, CheckpointErrorCode.SAVES_FAILING)) this.savesFailing ??= reported;
        if (isNbresumeError(error, CheckpointErrorCode.LOCK_LOST)) this.lostLock(error);
        return { ok: false, error, reported };
      },
    );
    // The same parameters the snapshot holds (the step that replaces them has not run yet). Drawn
    // off this thread, they are copied now and training goes on meanwhile; else before the next step.
    const drawing = this.previews.request(this.source.parameters(), step, msg.previewCaption(step, lossOf(request.metrics), kind, this.source.ema));
    if (!this.previews.offThread) await drawing;
    this.afterwards(async () => {
      const previews = await drawing;
      const lines = previews === "skipped" ? [...report, msg.gridSkipped()] : report;
      const settled = await outcome;
      // Previews are saved beside checkpoints that exist: none for a save that failed.
      if (!settled.ok) return this.failedInBackground(settled, step, kind, lines);
      const file = previews !== undefined && previews !== "skipped" ? await this.previews.besideCheckpoint(step, previews) : undefined;
      await this.committedInBackground(settled.saved, lines, file);
    });
    return true;
  }

  /**
   * Commits a final or emergency checkpoint before going on (call settle() first), with previews
   * beside a final one. Returns what to report, or undefined when a failed final save was only
   * warned about. `previewsHere`: draw them on this thread (training is over: it has the cores).
   */
  async now(
    step: number,
    kind: "final" | "emergency",
    evalMetrics: Readonly<Record<string, number>> | undefined,
    previewsHere: boolean,
  ): Promise<string | undefined> {
    const store = this.store;
    await this.source.prepare();
    const request = this.source.request(kind, evalMetrics);
    let committed: SavedCheckpoint | undefined;
    // The end of a run is what it is for: a final save that fails (a full disk for a moment, a
    // slow network filesystem) is tried again before it is given up on.
    const attempts = kind === "final" ? FINAL_SAVE_ATTEMPTS : 1;
    let failure: unknown;
    for (let attempt = 1; attempt <= attempts && committed === undefined; attempt++) {
      try {
        committed = await this.reportingFailures(() => store.save(request), true);
      } catch (error) {
        if (isNbresumeError(error, CheckpointErrorCode.EXISTS)) return msg.alreadySaved(kind);
        this.stats.failed++;
        if (kind === "emergency")
          throw new NbresumeError(RunErrorCode.EMERGENCY_SAVE_FAILED, msg.emergencySaveFailed(step, errorMessage(error)), { where: this.dir, cause: error });
        failure = error;
      }
    }
    if (committed === undefined) {
      this.finalUnsaved = true;
      this.out.warn(msg.finalSaveFailed(step, attempts, errorMessage(failure), isUrlLocation(this.dir)));
      return undefined;
    }
    this.stats.synchronous++;
    this.saves++;
    this.lastCheckpoint = checkpointRecord(committed);
    for (const w of committed.warnings) this.out.warn(msg.saveWarning(w));

    let file: string | undefined;
    if (kind !== "emergency") {
      const previews = await this.previews.request(
        this.source.parameters(),
        step,
        msg.previewCaption(step, lossOf(request.metrics), kind, this.source.ema),
        previewsHere,
      );
      if (previews !== undefined && previews !== "skipped") file = await this.previews.besideCheckpoint(step, previews);
    }
    if (committed.pruned.length > 0) {
      const steps = new Set((await store.list()).checkpoints.map((c) => c.step));
      await pruneSampleGrids(this.dir, steps);
    }
    await this.diskUsage(this.saves % DISK_USAGE_EVERY === 1 || kind === "final" || kind === "emergency");
    await this.source.committed(step);
    return msg.saved(kind, file === undefined ? undefined : basename(file));
  }

  /**
   * Until the background save in flight has committed or failed and the work after it is done;
   * a failure not shown yet is shown. Never throws: every way out of train() calls it.
   */
  async settle(): Promise<void> {
    await this.sideWork;
    try {
      await this.store.flush();
    } catch (error) {
      if (isReportedFailure(error)) this.showFailure(error);
      else this.out.warn(msg.backgroundWorkFailed(errorMessage(error)));
    }
    await this.sideWork;
  }

  /** The store's background-save status (the live view shows failures). */
  status(): BackgroundSaveStatus {
    return this.store.backgroundStatus;
  }

  /** The newest checkpoint committed, by the store's count or this run's (the store sees background commits first). */
  newestStep(): number | undefined {
    return (this.store.backgroundStatus.lastCommitted ?? this.lastCheckpoint)?.step;
  }

  /**
   * Runs a store call; a failure of an earlier background save that the call reports instead is
   * shown, then the call is made again. When the store says saves keep failing: undefined,
   * unless `always` (final and emergency saves are still tried).
   */
  private async reportingFailures<T>(call: () => Promise<T>, always: true): Promise<T>;
  private async reportingFailures<T>(call: () => Promise<T>, always: false): Promise<T | undefined>;
  private async reportingFailures<T>(call: () => Promise<T>, always: boolean): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      // Permanent: the first save that finds the lock gone stops the loop (a background save's
      // caller gets undefined); a final or emergency save cannot commit either.
      if (isNbresumeError(error, CheckpointErrorCode.LOCK_LOST)) {
        this.lostLock(error);
        if (!always) return undefined;
        throw error;
      }
      if (!isReportedFailure(error)) throw error;
      this.showFailure(error);
      if (!always && isNbresumeError(error, CheckpointErrorCode.SAVES_FAILING)) return undefined;
      return await call();
    }
  }

  private lostLock(error: NbresumeError): void {
    this.lockLost = true;
    this.savesFailing ??= error;
    this.showFailure(error);
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
    this.sideWork = this.sideWork.then(task).catch((error: unknown) => this.out.warn(msg.backgroundWorkFailed(errorMessage(error))));
  }

  private async committedInBackground(saved: SavedCheckpoint, report: readonly string[], file: string | undefined): Promise<void> {
    this.stats.background++;
    this.saves++;
    this.lastCheckpoint = checkpointRecord(saved);
    for (const w of saved.warnings) this.out.warn(msg.saveWarning(w));
    this.out.event(msg.stepReport(saved.step, [...report, msg.saved(saved.kind, file === undefined ? undefined : basename(file))]));
    try {
      if (saved.pruned.length > 0) {
        const steps = new Set((await this.store.list()).checkpoints.map((c) => c.step));
        await pruneSampleGrids(this.dir, steps, saved.step);
      }
      await this.diskUsage(this.saves % DISK_USAGE_EVERY === 1);
    } catch (error) {
      this.out.warn(msg.afterSaveFailed(saved.name, errorMessage(error)));
    }
    await this.source.committed(saved.step);
    this.view.showDiskNote();
  }

  private failedInBackground(outcome: Extract<CommitOutcome, { ok: false }>, step: number, kind: CheckpointKind, report: readonly string[]): void {
    if (isNbresumeError(outcome.error, CheckpointErrorCode.EXISTS)) {
      if (outcome.reported !== undefined) this.shownFailures.add(outcome.reported);
      this.out.event(msg.stepReport(step, [...report, msg.alreadySaved(kind)]));
      return;
    }
    this.stats.failed++;
    if (report.length > 0) this.out.event(msg.stepReport(step, report));
    // A lost lock was shown as the loop learned it (lostLock), once.
    if (outcome.reported !== undefined) this.showFailure(outcome.reported);
    else if (!isNbresumeError(outcome.error, CheckpointErrorCode.LOCK_LOST)) this.out.warn(msg.saveFailed(step, errorMessage(outcome.error)));
  }

  /** The run's disk usage as of this save: the live view's note; a line of its own in a terminal when `announce`. */
  private async diskUsage(announce: boolean): Promise<void> {
    const du = await this.store.du();
    const pictures = await listRunPictures(this.dir);
    this.view.setDiskNote(
      msg.diskUsage(
        this.dir,
        du.checkpoints.count,
        du.checkpoints.bytes,
        pictures.length,
        pictures.reduce((s, p) => s + p.bytes, 0),
      ),
      announce,
    );
  }
}

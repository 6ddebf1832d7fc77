/**
 * How the store's saves have gone: the background save in flight, a background failure not yet
 * reported to a caller, and how many saves in a row failed. A background failure is never
 * swallowed: it is kept here until the next save()/saveInBackground()/flush()/close() takes it
 * and rejects with it (wrapped, the original as `cause`), once.
 *
 * Losing the writer lease (another process took the directory or prefix over) is permanent: it is
 * reported as CHECKPOINT_LOCK_LOST itself (not wrapped), and every later save fails with it at once,
 * before anything is written: there is no point in trying again, training should stop.
 */
import { NbresumeError, isNbresumeError } from "../errors.js";
import { CheckpointErrorCode, checkpointMessages as messages } from "./messages.js";
import type { BackgroundSaveStatus, CheckpointKind, MirrorStatus, SavedCheckpoint } from "./store.js";
import { errorMessage } from "../shared/error-message.js";
import { isUrlLocation } from "./storage/location.js";

export const DEFAULT_MAX_FAILED_SAVES = 3;

interface Which {
  name: string;
  kind: CheckpointKind;
  step: number;
}

/** Bad arguments and "already saved" say nothing about the disk: they do not count as failures. */
function countsAsFailure(error: unknown): boolean {
  if (error instanceof TypeError || error instanceof RangeError) return false;
  return !isNbresumeError(error, CheckpointErrorCode.EXISTS);
}

export class SaveOutcomes {
  private inFlight: (Which & { startedAt: string }) | undefined;
  private pending: NbresumeError | undefined;
  private failures = 0;
  private lastCommitted: (Which & { committedAt: string }) | undefined;
  /** The lease was lost: every later save fails with this. */
  private lostLease: NbresumeError | undefined;

  constructor(
    private readonly dir: string,
    readonly maxFailedSaves: number,
    private readonly writer: "worker" | "inline",
    /** The mirror's uploads, when the store has one. */
    private readonly mirror: () => MirrorStatus | undefined = () => undefined,
  ) {}

  started(which: Which): void {
    this.inFlight = { ...which, startedAt: new Date().toISOString() };
  }

  /** A save (foreground or background) committed. */
  committed(saved: SavedCheckpoint): void {
    this.inFlight = undefined;
    this.failures = 0;
    this.lastCommitted = { name: saved.name, kind: saved.kind, step: saved.step, committedAt: new Date().toISOString() };
  }

  /** A foreground save() failed: its caller has the error; only the count changes. */
  foregroundFailed(error: unknown): void {
    if (countsAsFailure(error)) this.failures++;
    if (isNbresumeError(error, CheckpointErrorCode.LOCK_LOST)) this.lostLease ??= this.leaseLost(error);
  }

  /** CHECKPOINT_LOCK_LOST once the lease was lost (sticky), for every save after it. */
  get lost(): NbresumeError | undefined {
    return this.lostLease;
  }

  private leaseLost(error: NbresumeError): NbresumeError {
    return new NbresumeError(CheckpointErrorCode.LOCK_LOST, messages.leaseLostStop(error.message), {
      where: error.where ?? this.dir,
      cause: error,
    });
  }

  /** A background save failed: keep the error for the next call. */
  backgroundFailed(which: Which, error: unknown): void {
    this.inFlight = undefined;
    if (countsAsFailure(error)) this.failures++;
    if (isNbresumeError(error, CheckpointErrorCode.LOCK_LOST)) {
      this.pending = this.lostLease ??= this.leaseLost(error);
      return;
    }
    const what = `the ${which.kind} checkpoint of step ${which.step}`;
    const failing = this.failures >= this.maxFailedSaves;
    this.pending = new NbresumeError(
      failing ? CheckpointErrorCode.SAVES_FAILING : CheckpointErrorCode.BACKGROUND_SAVE_FAILED,
      failing
        ? messages.savesFailing(this.dir, this.failures, what, errorMessage(error), isUrlLocation(this.dir))
        : messages.backgroundSaveFailed(what, errorMessage(error), this.failures, this.maxFailedSaves),
      { where: isNbresumeError(error) && error.where !== undefined ? error.where : this.dir, cause: error },
    );
  }

  /** The unreported background failure, now reported (cleared). */
  take(): NbresumeError | undefined {
    const error = this.pending;
    this.pending = undefined;
    return error;
  }

  status(): BackgroundSaveStatus {
    const mirror = this.mirror();
    return {
      writer: this.writer,
      inFlight: this.inFlight === undefined ? undefined : { ...this.inFlight },
      pendingError: this.pending,
      consecutiveFailures: this.failures,
      maxFailedSaves: this.maxFailedSaves,
      lastCommitted: this.lastCommitted === undefined ? undefined : { ...this.lastCommitted },
      ...(mirror === undefined ? {} : { mirror }),
    };
  }
}

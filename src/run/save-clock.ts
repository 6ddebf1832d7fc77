/**
 * The clock of time-based saves (checkpointEvery: { minutes }): training time since the last
 * scheduled checkpoint, advanced after every step from an injectable clock (tests pass their
 * own). Only time spent training counts — not the time between a kernel's death and the rerun —
 * and an emergency checkpoint does not reset it, so its state is kept in every checkpoint: a run
 * resumed from an emergency checkpoint 7 minutes after the last rolling one saves again 3 minutes
 * later, as the uninterrupted run would.
 */
export interface SaveClockJson {
  /** Training milliseconds since the last scheduled (rolling, epoch, final) checkpoint. */
  readonly sinceCheckpointMs: number;
  /** Training milliseconds in all, over every train() of the run. */
  readonly trainedMs: number;
}

export class SaveClock {
  private sinceCheckpointMs: number;
  private trainedMs: number;
  private lastAt: number;

  constructor(
    private readonly now: () => number,
    /** Minutes between time-based saves; undefined: steps only. */
    private readonly minutes: number | undefined,
    saved: SaveClockJson | undefined,
  ) {
    this.sinceCheckpointMs = saved?.sinceCheckpointMs ?? 0;
    this.trainedMs = saved?.trainedMs ?? 0;
    this.lastAt = now();
  }

  /** Training resumes now: time before this call (loading, previews) does not count. */
  restart(): void {
    this.lastAt = this.now();
  }

  /** After each step. */
  tick(): void {
    const t = this.now();
    const elapsed = Math.max(0, t - this.lastAt);
    this.lastAt = t;
    this.sinceCheckpointMs += elapsed;
    this.trainedMs += elapsed;
  }

  /** Whether a time-based checkpoint is due. */
  get due(): boolean {
    return this.minutes !== undefined && this.sinceCheckpointMs >= this.minutes * 60_000;
  }

  /** Milliseconds until the next time-based checkpoint, undefined without one. */
  get remainingMs(): number | undefined {
    return this.minutes === undefined ? undefined : Math.max(0, this.minutes * 60_000 - this.sinceCheckpointMs);
  }

  get totalMs(): number {
    return this.trainedMs;
  }

  /** A scheduled checkpoint was requested: the next is due `minutes` of training later. */
  saved(): void {
    this.sinceCheckpointMs = 0;
  }

  toJSON(): SaveClockJson {
    return { sinceCheckpointMs: this.sinceCheckpointMs, trainedMs: this.trainedMs };
  }
}

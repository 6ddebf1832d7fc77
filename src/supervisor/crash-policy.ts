/**
 * When to restart a lost kernel and when to give up. A crash that made training progress (the
 * newest checkpoint moved, or — without a run directory to read — the training got to a later
 * step) is an accident worth retrying; two crashes in a row that made none are a crash loop (a
 * kernel that dies at start, an out-of-memory at the same step every time): retrying only burns
 * the night. Independently, `maxRestarts` bounds the restarts of the whole run.
 */

export interface Crash {
  /** The training got further during the attempt that ended in this crash. */
  readonly progressed: boolean;
}

export type CrashDecision = { readonly action: "restart" } | { readonly action: "give-up"; readonly why: "max-restarts" | "crash-loop" };

export class CrashPolicy {
  private readonly crashes: Crash[] = [];

  constructor(readonly maxRestarts: number) {
    if (!Number.isSafeInteger(maxRestarts) || maxRestarts < 0) throw new RangeError(`maxRestarts must be a whole number ≥ 0, got ${maxRestarts}`);
  }

  get count(): number {
    return this.crashes.length;
  }

  /** Records a crash and decides what to do about it. */
  record(crash: Crash): CrashDecision {
    this.crashes.push(crash);
    if (this.crashes.length > this.maxRestarts) return { action: "give-up", why: "max-restarts" };
    const [before, last] = this.crashes.slice(-2);
    if (before !== undefined && last !== undefined && !before.progressed && !last.progressed) return { action: "give-up", why: "crash-loop" };
    return { action: "restart" };
  }
}

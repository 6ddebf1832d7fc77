/**
 * Saves and prunes one at a time, in call order, and background saves: a save takes the next
 * place in the queue at once; when its turn comes (the save before it has settled) it reports an
 * unreported failure or takes the snapshot, resolves the caller's promise, and keeps the queue
 * until its commit settles (store.ts states the durability rules). The commit runs in the writer
 * thread (worker-writer.ts) or inline.
 */
import type { NbresumeError } from "../errors.js";
import type { BackgroundJob, BackgroundWriter } from "./background-writer.js";
import type { CheckpointIndex } from "./checkpoint-index.js";
import { checkpointDirName } from "./naming.js";
import type { ValidRequest } from "./save-request.js";
import type { SaveOutcomes } from "./save-outcomes.js";
import { SnapshotBuffer } from "../shared/snapshot.js";
import type { BackgroundSave, BackgroundSaveStatus, SavedCheckpoint } from "./store.js";

export class SaveQueue {
  /** Saves and prunes run one at a time, in call order; a background save holds it until committed. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly snapshots = new SnapshotBuffer();
  private writer: BackgroundWriter | undefined;

  constructor(
    private readonly outcomes: SaveOutcomes,
    private readonly index: CheckpointIndex,
    /** The writer, made on the first background save. */
    private readonly makeWriter: () => BackgroundWriter,
    /** Each commit, foreground or background (the mirror queues its upload here). */
    private readonly onCommitted: (saved: SavedCheckpoint) => void,
  ) {}

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Until every queued save and prune has finished (including any queued meanwhile). */
  async idle(): Promise<void> {
    for (;;) {
      const queue = this.queue;
      await queue;
      if (queue === this.queue) return;
    }
  }

  /** A foreground save: its turn, an unreported failure first, then `commit`. */
  save(commit: () => Promise<SavedCheckpoint>): Promise<SavedCheckpoint> {
    return this.exclusive(async () => {
      const unreported = this.outcomes.take() ?? this.outcomes.lost;
      if (unreported) throw unreported;
      try {
        const saved = await commit();
        this.outcomes.committed(saved);
        this.onCommitted(saved);
        return saved;
      } catch (error) {
        this.outcomes.foregroundFailed(error);
        throw error;
      }
    });
  }

  start(req: ValidRequest, metadata: BackgroundJob["metadata"], stateBytes: Uint8Array): Promise<BackgroundSave> {
    const t0 = performance.now();
    return new Promise<BackgroundSave>((resolveSave, rejectSave) => {
      const which = { name: checkpointDirName(req.step, req.kind), kind: req.kind, step: req.step };
      const started = { ok: false };
      const committed: Promise<SavedCheckpoint> = this.exclusive(async () => {
        const waitedMs = performance.now() - t0;
        // A lost lease fails every later save at once, nothing snapshotted or written.
        const unreported = this.outcomes.take() ?? this.outcomes.lost;
        if (unreported) {
          rejectSave(unreported);
          throw unreported;
        }
        const t1 = performance.now();
        const snapshot = this.snapshots.take(req.groups);
        const snapshotMs = performance.now() - t1;
        const job: BackgroundJob = { kind: req.kind, step: req.step, epoch: req.epoch, metrics: req.metrics, metadata, stateBytes, snapshot };
        this.outcomes.started(which);
        started.ok = true;
        resolveSave({ ...which, bytes: snapshot.layout.bytes, waitedMs, snapshotMs, committed });
        try {
          const saved = await (this.writer ??= this.makeWriter()).commit(job);
          this.outcomes.committed(saved);
          // The writer thread committed and pruned: keep this store's index in step.
          this.index.committed(saved);
          for (const name of saved.pruned) this.index.forget(name);
          this.onCommitted(saved);
          return saved;
        } catch (error) {
          this.outcomes.backgroundFailed(which, error);
          throw error;
        }
      });
      // The next call reports a failure; never an unhandled rejection. (A save that never
      // started rejected the caller's promise instead.)
      committed.catch((error: unknown) => {
        if (!started.ok) rejectSave(error);
      });
    });
  }

  /** Waits for the save in flight; rejects with an unreported background failure. */
  async flush(): Promise<void> {
    await this.idle();
    const unreported = this.outcomes.take();
    if (unreported) throw unreported;
  }

  get status(): BackgroundSaveStatus {
    return this.outcomes.status();
  }

  get pendingError(): NbresumeError | undefined {
    return this.outcomes.status().pendingError;
  }

  /** After idle(): the unreported failure (taken), the writer stopped, the snapshot dropped. */
  async close(): Promise<NbresumeError | undefined> {
    const unreported = this.outcomes.take();
    try {
      await this.writer?.close();
    } finally {
      this.snapshots.release();
    }
    return unreported;
  }
}

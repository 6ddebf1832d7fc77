/**
 * How far the notebook's training got, as the supervisor tracks it across kernel restarts: the
 * newest checkpoint that verifies in the run's directory (read-only, with the checkpoint store —
 * exactly what a rerun of the training cell resumes from), and the highest step the live display
 * showed. The directory is known when the notebook names it as its `dir` parameter and the kernel
 * runs on this machine; without it, the displayed step stands in.
 */
import { CheckpointStore } from "../checkpoint/store-factory.js";
import type { CheckpointReader } from "../checkpoint/store.js";
import type { DisplayedProgress } from "./progress-text.js";

export interface CheckpointMark {
  readonly step: number;
  /** Its directory name, e.g. "ckpt-step-00000120-rolling". */
  readonly name: string;
}

export class TrainingProgress {
  private highest: number | undefined;
  private last: DisplayedProgress | undefined;

  constructor(readonly runDir: string | undefined) {}

  /** A progress display was seen. */
  see(progress: DisplayedProgress): void {
    this.last = progress;
    this.highest = Math.max(this.highest ?? -1, progress.step);
  }

  /** The newest progress display seen. */
  get latest(): DisplayedProgress | undefined {
    return this.last;
  }

  /** The newest checkpoint that verifies, or undefined (no run directory, none yet, unreadable). */
  async newestCheckpoint(): Promise<CheckpointMark | undefined> {
    if (this.runDir === undefined) return undefined;
    let store: CheckpointReader | undefined;
    try {
      const reader = await CheckpointStore.open(this.runDir, { readOnly: true });
      store = reader;
      const resolved = await reader.resolve("auto");
      return resolved === undefined ? undefined : { step: resolved.step, name: resolved.name };
    } catch {
      return undefined; // no directory yet, or nothing readable: as good as no checkpoint
    } finally {
      await store?.close().catch(() => undefined);
    }
  }

  /** A number that grows with training progress: the newest checkpoint's step, else the highest step shown; -1 before any. */
  async mark(): Promise<number> {
    if (this.runDir !== undefined) return (await this.newestCheckpoint())?.step ?? -1;
    return this.highest ?? -1;
  }
}

/**
 * How far the notebook's training got, as the supervisor tracks it across kernel restarts: the
 * newest checkpoint that verifies in the run's directory (read-only, with the checkpoint store —
 * exactly what a rerun of the training cell resumes from), and the steps the live display showed.
 * The directory is known when the notebook names it as its `dir` parameter and the kernel runs on
 * this machine; without it, the displayed step stands in.
 *
 * The display is no exact record: a notebook run redraws it at most once a second, first at the
 * step it starts from, so a fast run can commit its checkpoint at step 150 while the display still
 * says step 0. Where training got is therefore the later of the two.
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
  /** The highest step any display showed, over every kernel of the run. */
  private highest: number | undefined;
  /** The step the newest display of the current kernel showed. */
  private shown: number | undefined;

  constructor(readonly runDir: string | undefined) {}

  /** A new kernel: what the previous one displayed says nothing about this one. */
  newKernel(): void {
    this.shown = undefined;
  }

  /** A progress display was seen. */
  see(progress: DisplayedProgress): void {
    this.shown = progress.step;
    this.highest = Math.max(this.highest ?? -1, progress.step);
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

  /**
   * The step the training had reached in the current kernel: the later of the step its newest
   * display showed and the newest checkpoint's step; undefined when neither is known.
   */
  async reached(): Promise<number | undefined> {
    const checkpoint = (await this.newestCheckpoint())?.step;
    if (checkpoint === undefined) return this.shown;
    return Math.max(checkpoint, this.shown ?? checkpoint);
  }

  /** A number that grows with training progress: the newest checkpoint's step, else the highest step shown; -1 before any. */
  async mark(): Promise<number> {
    if (this.runDir !== undefined) return (await this.newestCheckpoint())?.step ?? -1;
    return this.highest ?? -1;
  }
}

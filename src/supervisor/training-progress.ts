/**
 * How far the notebook's training got, as the supervisor tracks it across kernel restarts: the
 * newest checkpoint that verifies in the run's directory (read-only, with the checkpoint store —
 * exactly what a rerun of the training cell resumes from), and the steps the live display showed.
 * The directory is known when the notebook names it as its `dir` parameter and the kernel runs on
 * this machine, or when it is a bucket (`s3://bucket/prefix`, read with this process's AWS
 * settings); without it, the displayed step stands in.
 *
 * The display is no exact record: a notebook run redraws it at most once a second, first at the
 * step it starts from, so a fast run can commit its checkpoint at step 150 while the display still
 * says step 0. Where training got is therefore the later of the two.
 *
 * A run directory that cannot be read (no credentials for the bucket, a permission) is said once,
 * with why, and then counts as no checkpoint; one that does not exist yet is simply no checkpoint.
 */
import { CheckpointErrorCode } from "../checkpoint/messages.js";
import { withBlobsAt } from "../checkpoint/storage/blobs-at.js";
import { CheckpointStore } from "../checkpoint/store-factory.js";
import type { CheckpointReader } from "../checkpoint/store.js";
import { SUMMARY_FILE } from "../run/run-record.js";
import { supervisorMessages as msg } from "./messages.js";
import type { DisplayedProgress } from "./progress-text.js";

export interface CheckpointMark {
  readonly step: number;
  /** Its directory name, e.g. "ckpt-step-00000120-rolling". */
  readonly name: string;
}

/** What the run's summary.json says about the train() that wrote it (src/run/run-record.ts). */
export interface SummaryMark {
  readonly status: string;
  readonly stoppedBecause: string;
  /** The signal that stopped it, when the summary records one. */
  readonly stopReason: string | undefined;
  readonly step: number;
  readonly steps: number;
  /** When that train() ended (ms epoch). */
  readonly endedAt: number;
}

const MAX_SUMMARY_BYTES = 1024 * 1024;

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | undefined)?.code;
}

function detailOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = codeOf(error);
  return typeof code === "string" && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}

export class TrainingProgress {
  /** The highest step any display showed, over every kernel of the run. */
  private highest: number | undefined;
  /** The step the newest display of the current kernel showed. */
  private shown: number | undefined;
  private warned = false;

  /**
   * `runDir`: an absolute directory path or a URL (as normalizeLocation() makes them).
   * `warn`: told once when the run's directory cannot be read, and why.
   */
  constructor(
    readonly runDir: string | undefined,
    private readonly warn: (text: string) => void = () => undefined,
  ) {}

  /** A new kernel: what the previous one displayed says nothing about this one. */
  newKernel(): void {
    this.shown = undefined;
  }

  /** A progress display was seen. */
  see(progress: DisplayedProgress): void {
    this.shown = progress.step;
    this.highest = Math.max(this.highest ?? -1, progress.step);
  }

  private unreadable(error: unknown): undefined {
    if (!this.warned && this.runDir !== undefined) this.warn(msg.progressUnreadable(this.runDir, detailOf(error)));
    this.warned = true;
    return undefined;
  }

  /** The newest checkpoint that verifies, or undefined (no run directory, none yet, unreadable: said once). */
  async newestCheckpoint(): Promise<CheckpointMark | undefined> {
    if (this.runDir === undefined) return undefined;
    let store: CheckpointReader | undefined;
    try {
      const reader = await CheckpointStore.open(this.runDir, { readOnly: true });
      store = reader;
      const resolved = await reader.resolve("auto");
      return resolved === undefined ? undefined : { step: resolved.step, name: resolved.name };
    } catch (error) {
      if (codeOf(error) === CheckpointErrorCode.DIR_MISSING) return undefined; // no directory yet: no checkpoint yet
      return this.unreadable(error);
    } finally {
      await store?.close().catch(() => undefined);
    }
  }

  /** The run's summary.json (in a bucket too), or undefined (no run directory, none yet, unreadable: said once). */
  async summary(): Promise<SummaryMark | undefined> {
    if (this.runDir === undefined) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = await withBlobsAt(this.runDir, (blobs) => blobs.get(SUMMARY_FILE, MAX_SUMMARY_BYTES));
    } catch (error) {
      if (codeOf(error) === "ENOENT") return undefined;
      return this.unreadable(error);
    }
    try {
      const v = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
      const endedAt = typeof v["ended"] === "string" ? Date.parse(v["ended"]) : Number.NaN;
      if (typeof v["status"] !== "string" || typeof v["step"] !== "number" || Number.isNaN(endedAt)) return undefined;
      return {
        status: v["status"],
        stoppedBecause: typeof v["stoppedBecause"] === "string" ? v["stoppedBecause"] : "",
        stopReason: typeof v["stopReason"] === "string" ? v["stopReason"] : undefined,
        step: v["step"],
        steps: typeof v["steps"] === "number" ? v["steps"] : v["step"],
        endedAt,
      };
    } catch {
      return undefined; // half a file from a writer that died: no summary to go by
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

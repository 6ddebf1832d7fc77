/**
 * What a checkpoint store says about its work in the background — saves in flight and failing, the
 * mirror's uploads — and how it was left when it closed. Part of the store's contract (store.ts
 * re-exports these): types only, read by progress displays (the run's live view) and callers of close().
 */
import type { NbresumeError } from "../errors.js";
import type { CheckpointKind } from "./naming.js";

/** A mirror's uploads at a glance (backgroundStatus.mirror). */
export interface MirrorStatus {
  /** Where the copies go: s3://bucket/prefix. */
  target: string;
  /** The upload in flight, with its progress. */
  uploading: { name: string; bytes: number; totalBytes: number; startedAt: string } | undefined;
  /** Committed checkpoints not uploaded yet (the one in flight included). */
  behind: number;
  /** The newest checkpoint that reached the bucket. */
  lastUploaded: { name: string; step: number; uploadedAt: string } | undefined;
  /** Uploads failed in a row (each is tried again: the next commit, or close()). */
  consecutiveFailures: number;
  /** The last failure, one line (cleared by the next upload that succeeds). */
  lastError: string | undefined;
  /** The checkpoint copied down from the bucket when the store opened (the local directory had nothing as new), and what was passed over. */
  pulled?: { name: string; skipped: { name: string; problem: string }[] };
  /** The committed checkpoints not in the bucket yet, by name (`behind` counts them). */
  notUploaded?: string[];
  /**
   * While close() waits for the uploads: since when, and when it stops waiting unless an upload
   * makes progress (each new byte moves it later; at most s3.outageMs, 60 s, with nothing moving).
   */
  closing?: { since: string; giveUpAt: string };
  /** After close(), when the bucket is behind: the same warning close() resolved with. */
  warning?: string;
}

/** How a mirror was left when its store closed. */
export interface MirrorClosed {
  target: string;
  /** Committed checkpoints not in the bucket (the next open of the directory with the mirror uploads them). */
  notUploaded: string[];
  /** Which checkpoints are not in the bucket, why, and what uploads them; undefined when it is up to date. */
  warning: string | undefined;
}

/** What close() resolves with: everything local is closed and safe; what is left to say. */
export interface StoreClosed {
  /** One line each, for the caller to show (the mirror is behind: which checkpoints, why, what uploads them). */
  warnings: string[];
  /** The mirror as it was left, when the store has one. */
  mirror?: MirrorClosed;
}

/** Background saves at a glance (for a progress display). */
export interface BackgroundSaveStatus {
  writer: "worker" | "inline";
  /** The save being written, if any. */
  inFlight: { name: string; kind: CheckpointKind; step: number; startedAt: string } | undefined;
  /** A background failure the next save()/saveInBackground()/flush() will reject with. */
  pendingError: NbresumeError | undefined;
  /** Saves (of either kind) failed since the last commit. */
  consecutiveFailures: number;
  maxFailedSaves: number;
  lastCommitted: { name: string; kind: CheckpointKind; step: number; committedAt: string } | undefined;
  /** The mirror, when the store has one. */
  mirror?: MirrorStatus;
}

/**
 * Who runs a background save's commit pipeline once its snapshot is taken. Two implementations:
 * worker-writer.ts (a worker thread runs the whole write, hash, fsync, rename, `latest` and
 * prune; the default) and the store itself ("inline": async I/O driven from the caller's thread).
 *
 * Why a worker by default: onnxruntime-node's session.run() holds the main thread for a whole
 * step, so I/O driven from it advances about one operation per step (every fs call's completion
 * waits for the next turn of the event loop); a commit is dozens of operations. In the worker the
 * commit proceeds at disk speed whatever the training loop does. (bench/async-save.bench.ts
 * measures both.)
 */
import type { Snapshot } from "../shared/snapshot.js";
import type { StorageSpec } from "./storage/storage.js";
import type { SerializedError } from "../shared/thread-errors.js";
import type { BestMetric, CheckpointKind, Metrics, RetentionPolicy, SavedCheckpoint } from "./store.js";

/** A validated save whose tensors are already copied: plain data, so it can cross threads. */
export interface BackgroundJob {
  kind: CheckpointKind;
  step: number;
  epoch: number;
  metrics: Metrics;
  metadata: Record<string, Record<string, string>> | undefined;
  /** state.json as the store serialized it when the save was requested. */
  stateBytes: Uint8Array;
  snapshot: Snapshot;
}

export interface BackgroundWriter {
  /** Run the whole commit; resolves once committed and durable with `latest` moved, or rejects. */
  commit(job: BackgroundJob): Promise<SavedCheckpoint>;
  /** Stop the writer (no job is in flight when the store calls this). */
  close(): Promise<void>;
}

/** What a writer thread needs to act as the store's committer: the store's options and its lock. */
export interface WriterConfig {
  dir: string;
  /** The same storage, opened again in the writer thread. */
  storage: StorageSpec;
  keep: RetentionPolicy | undefined;
  bestMetric: BestMetric | undefined;
  diskMargin: number;
  autoPrune: boolean;
  /** The token of the main thread's writer lease: the worker commits only while it is current. */
  lockToken: string;
}

/** Main thread → writer thread: one job. */
export interface WriterRequest {
  id: number;
  job: BackgroundJob;
}

/** Writer thread → main thread: how the job ended. */
export type WriterReply = { id: number; ok: true; saved: SavedCheckpoint } | { id: number; ok: false; error: SerializedError };

/** What the mirror's main side (mirror.ts) and its thread (mirror-worker.ts) say to each other: plain data. */
import type { StorageSpec } from "./storage/storage.js";
import type { SerializedError } from "../shared/thread-errors.js";
import type { BestMetric, RetentionPolicy } from "./store.js";

export interface MirrorWorkerData {
  local: StorageSpec;
  remote: StorageSpec;
  /** The main thread's lease of the bucket prefix: the thread commits only while it holds. */
  leaseToken: string;
  keep: RetentionPolicy | undefined;
  bestMetric: BestMetric | undefined;
}

export type MirrorJob =
  | { id: number; op: "upload"; name: string }
  /** Every local checkpoint and blob the bucket lacks (blobs at the top level and in `folder`). */
  | { id: number; op: "catchUp"; folder: string; maxBlobBytes: number }
  | { id: number; op: "putBlob"; name: string; bytes: Uint8Array }
  | { id: number; op: "deleteBlob"; name: string }
  | { id: number; op: "prune" };

export type MirrorReply =
  | { type: "progress"; id: number; name: string; copied: number; total: number }
  /** `missing`: local checkpoints not uploaded (damaged); `pruned`: removed from the bucket by its retention. */
  | { type: "done"; id: number; ok: true; uploaded: string[]; missing: string[]; pruned: string[] }
  | { type: "done"; id: number; ok: false; error: SerializedError };

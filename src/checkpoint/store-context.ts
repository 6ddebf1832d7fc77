/** What the store's units share: the storage, its options, and the writer lease (writable stores). */
import type { ResolvedRetentionPolicy } from "./retention.js";
import type { CheckpointStorage, WriterLease } from "./storage/storage.js";
import type { BestMetric } from "./store.js";

export interface StoreContext {
  readonly storage: CheckpointStorage;
  /** The storage's location: CheckpointListing.dir and every message's directory. */
  readonly dir: string;
  readonly readOnly: boolean;
  readonly policy: ResolvedRetentionPolicy;
  readonly bestMetric: BestMetric | undefined;
  /** Free bytes to leave beyond a checkpoint's own size. */
  readonly margin: number;
  readonly autoPrune: boolean;
  /** Held from open() until close() by a writable store; the writer thread's is a check of the main thread's. */
  readonly lease: WriterLease | undefined;
}

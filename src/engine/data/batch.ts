/**
 * What a DataLoader takes and gives (interfaces only; data-loader.ts implements them).
 */
import type { Tensor } from "../../tensor.js";
import type { Generator } from "../random/generator.js";

export interface DataLoaderOptions {
  readonly batchSize: number;
  /** A fresh order every epoch (default true); false serves rows 0..N−1 in order. */
  readonly shuffle?: boolean;
  /** Skip an epoch's final partial batch (default true), so every batch has batchSize rows. */
  readonly dropLast?: boolean;
  /**
   * Required when shuffling. Epoch e's order is `generator.fork(\`epoch:${e}\`)` shuffling 0..N−1,
   * which depends on the generator's key only, never on what was drawn from it; so a generator
   * shared with noise or init is safe, though a dedicated `root.fork("data")` reads better.
   * The key is read when an epoch's order is first needed and by cursor(); restoring another
   * state into the generator mid-run changes the order from then on.
   */
  readonly generator?: Generator;
  /**
   * false (default): every batch gets new arrays, safe to keep (preview grids, async work).
   * true: one array per column is overwritten by each next(); saves ~200 KB of allocation per
   * 64-image MNIST batch for a consumer that copies the batch out (e.g. into onnxruntime
   * tensors) before calling next() again.
   */
  readonly reuseBuffers?: boolean;
}

export interface Batch {
  /**
   * One tensor per dataset column, by the column's name: [size, ...column shape], in the
   * column's dtype (labels stay uint8 if the dataset holds them so; a model converts what its
   * graph needs, e.g. to int64).
   */
  readonly columns: Readonly<Record<string, Tensor>>;
  /** [size] the dataset rows in this batch, in batch order. */
  readonly indices: Int32Array;
  /** Rows in this batch: batchSize, except an epoch's last batch when dropLast is false. */
  readonly size: number;
  readonly epoch: number;
  /** This batch's index within its epoch, 0-based. */
  readonly position: number;
  /** True for the last batch of its epoch: the next batch starts epoch + 1. */
  readonly epochEnded: boolean;
}

/**
 * Where a loader stands, as plain JSON for a checkpoint's state.json: the next batch is batch
 * `position` of epoch `epoch` (after an epoch's last batch that is { epoch: e + 1, position: 0 }).
 * The other fields say which loader it belongs to, so restoring it elsewhere fails clearly.
 */
export interface DataLoaderCursor {
  readonly version: 1;
  readonly epoch: number;
  readonly position: number;
  /** The dataset's name and size. */
  readonly dataset: string;
  readonly count: number;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  /** The shuffling generator's key (its seed and fork path); null without shuffling. */
  readonly generatorKey: string | null;
}

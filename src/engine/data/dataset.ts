/**
 * A dataset (interface only): named columns of examples held in memory. Each column is one typed
 * array whose first dimension is the example, so a batch is row copies and nothing needs a
 * framework tensor. Constructors live beside this file, one per file: fromArrays, fromCsv,
 * fromJsonl, fromNpy, fromNpz, fromSafetensors, fromTextCorpus, loadMnist; splitDataset and
 * subset choose rows; datasetRecord describes a dataset for a run's config.
 *
 *   const d = fromArrays("points", { x: { dtype: "float32", shape: [2], data }, y: { dtype: "int64", data: labels } });
 *   const { train, validation } = splitDataset(d, { validation: 0.1, seed: 1 });
 *
 * A model reads the columns it needs by name from each batch (an MLP classifier: `images` and
 * `labels`; a DDPM: `images`); a dataset may hold others, which batches carry along unused.
 */
import type { JsonObject } from "../nn/json.js";
import type { TypedArrayOf } from "../../tensor.js";

/** Element types a column may hold (what onnxruntime models take: float inputs, integer indices and labels). */
export type ColumnDType = "float32" | "int32" | "int64" | "uint8";

export const COLUMN_DTYPES: readonly ColumnDType[] = ["float32", "int32", "int64", "uint8"];

/** One column: `count` examples of `shape`, row-major in one typed array. */
export interface Column<D extends ColumnDType = ColumnDType> {
  readonly dtype: D;
  /** The shape of one example, positive integers: [] for a scalar (a label), [784] for a flat image, [3, 32, 32]… */
  readonly shape: readonly number[];
  /** [count, ...shape] row-major: data.length = count × product(shape). */
  readonly data: TypedArrayOf[D];
}

export type Columns = Readonly<Record<string, Column>>;

/**
 * Where a subset's rows come from: the parent dataset's rows it holds, in order. A run records
 * them (as a hash, see datasetRecord) in every checkpoint, so a changed split is caught on resume
 * like a changed config. A subset of a subset names the original dataset as its parent.
 */
export interface DatasetRows {
  /** The parent dataset's name and size. */
  readonly parent: string;
  readonly parentCount: number;
  /** How the rows were chosen, as JSON (e.g. { split: "validation", fraction: 0.1, seed: 1 }). */
  readonly how: JsonObject;
  /** The parent's row of each example of this dataset. */
  readonly rows: Int32Array;
}

export interface Dataset {
  /** A stable name, stored in data-loader cursors so a cursor cannot silently resume another dataset. */
  readonly name: string;
  /** Examples (the first dimension of every column). */
  readonly count: number;
  readonly columns: Columns;
  /**
   * Plain-JSON facts about the data, recorded in the run's config: where it came from (file, size,
   * a hash of its bytes), and what models and previews need (classes, a tokenizer's vocabulary,
   * an image shape). A changed `info` is a changed dataset.
   */
  readonly info: JsonObject;
  /** Set when this dataset is a subset of another (a split). */
  readonly rows?: DatasetRows;
}

/** The train/held-out pair `loadMnist()` returns (and resumable() takes as `data`). */
export interface DatasetSplit {
  readonly train: Dataset;
  readonly test: Dataset;
}

/** What `splitDataset()` returns: disjoint subsets covering the dataset. */
export interface TrainValidationSplit {
  readonly train: Dataset;
  readonly validation: Dataset;
}

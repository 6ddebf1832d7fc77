/**
 * A labelled image dataset held in memory (interface only; mnist.ts loads one).
 * Plain typed arrays, so batches are row copies and nothing needs a framework tensor.
 */
export interface Dataset {
  /** A stable name, stored in data-loader cursors so a cursor cannot silently resume another dataset. */
  readonly name: string;
  /** Row-major [count, height × width] pixel values in [0, 1]. */
  readonly images: Float32Array;
  /** The class of each image, 0..classes−1. */
  readonly labels: Uint8Array;
  readonly count: number;
  /** [height, width] of one image. */
  readonly shape: readonly [number, number];
  readonly classes: number;
}

/** The train/held-out pair a loader such as `loadMnist()` returns. */
export interface DatasetSplit {
  readonly train: Dataset;
  readonly test: Dataset;
}

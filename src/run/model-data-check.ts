/**
 * The model's inputs against the dataset's columns, checked when resumable() resolves its options:
 * the model's feeds() made once from the first rows of each dataset the run feeds it (the training
 * set; the held-out set when the run evaluates). A column the model cannot take (none of an input's
 * name, another shape, a dtype that does not convert without loss: MODEL_DATA_MISMATCH) is then the
 * first thing the user sees, not an error after the config table and "Training N steps.".
 *
 * The batch is a copy (a feeds() that writes into its batch cannot touch the dataset) and the
 * generator a throwaway one: nothing the run draws from changes, so resuming stays exact.
 */
import type { Batch } from "../engine/data/batch.js";
import { DataLoader } from "../engine/data/data-loader.js";
import type { Dataset } from "../engine/data/dataset.js";
import type { Model } from "../engine/nn/model.js";
import { createGenerator } from "../engine/random/create-generator.js";

/** Throws what the model's feeds() throws on the first rows of `dataset` (at most `batchSize`). */
function feedFirstRows(model: Model<Batch>, dataset: Dataset, batchSize: number): void {
  if (dataset.count === 0) return;
  const batch = new DataLoader(dataset, { batchSize: Math.min(batchSize, dataset.count), shuffle: false }).next();
  model.feeds(batch, createGenerator("nbresume:model-data-check"));
}

/** The model fed from `train`, and from `test` when the run evaluates on it; the first failure is thrown. */
export function checkModelData(model: Model<Batch>, train: Dataset, test: Dataset | undefined, batchSize: number): void {
  feedFirstRows(model, train, batchSize);
  if (test !== undefined) feedFirstRows(model, test, batchSize);
}

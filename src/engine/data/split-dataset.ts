/**
 * A seeded train/validation split: the rows 0..N−1 shuffled by the project's generator
 * (`createGenerator(seed).fork("split")`, the same permutation on every machine and Node
 * version), the first k held out for validation, the rest for training; each side keeps the
 * dataset's order (rows ascending) and records its rows and how they were chosen.
 *
 *   const { train, validation } = splitDataset(await fromCsv("data.csv"), { validation: 0.1, seed: 1 });
 */
import { createGenerator } from "../random/create-generator.js";
import type { Seed } from "../random/generator.js";
import type { JsonObject } from "../nn/json.js";
import { checkDataset } from "./check-dataset.js";
import type { Dataset, TrainValidationSplit } from "./dataset.js";
import { dataMessages as msg } from "./messages.js";
import { subset } from "./subset.js";

export interface SplitOptions {
  /** A fraction in (0, 1) of the examples (rounded to the nearest count), or a count ≥ 1. */
  readonly validation: number;
  readonly seed: Seed;
}

const WHO = "splitDataset";

/** How many examples `validation` holds out of `count`. */
function validationCount(validation: unknown, count: number): number {
  if (typeof validation !== "number" || !Number.isFinite(validation) || validation <= 0 || (validation >= 1 && !Number.isSafeInteger(validation))) {
    throw new RangeError(msg.badOption(WHO, "validation", "a fraction in (0, 1) or a whole count ≥ 1", validation));
  }
  return validation < 1 ? Math.round(validation * count) : validation;
}

/**
 * Splits `dataset` into disjoint train and validation subsets covering it, named
 * "<name>/train" and "<name>/validation". Throws TypeError/RangeError for bad options, or a
 * split that would leave either side empty.
 */
export function splitDataset(dataset: Dataset, options: SplitOptions): TrainValidationSplit {
  checkDataset(WHO, dataset);
  if (typeof options !== "object" || options === null) throw new TypeError(msg.badOption(WHO, "options", "{ validation, seed }", options));
  const { seed } = options;
  if (!(typeof seed === "string" || (typeof seed === "number" && Number.isSafeInteger(seed)))) {
    throw new TypeError(msg.badOption(WHO, "seed", "an integer or a string", seed));
  }
  const k = validationCount(options.validation, dataset.count);
  if (k < 1 || k >= dataset.count) throw new RangeError(msg.splitTooSmall(dataset.name, dataset.count, k));
  const order = Int32Array.from({ length: dataset.count }, (_, i) => i);
  createGenerator(seed).fork("split").shuffle(order);
  const validationRows = order.slice(0, k).sort();
  const trainRows = order.slice(k).sort();
  const how = (side: string): JsonObject => ({ split: side, validation: options.validation, seed });
  return {
    train: subset(dataset, trainRows, how("train"), `${dataset.name}/train`),
    validation: subset(dataset, validationRows, how("validation"), `${dataset.name}/validation`),
  };
}

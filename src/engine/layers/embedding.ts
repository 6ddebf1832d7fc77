/**
 * Embedding table lookup: ids [...] (int64 or int32) → [..., dim] rows of a learned table.
 *
 *   const e = embedding(scope.child("class_emb"), labels, 10, 64);   // parameter class_emb.weight [10, 64]
 *
 * A Gather on axis 0; its gradient scatters-adds the output gradient into the rows (repeated ids
 * accumulate). Default initialisation is PyTorch's: N(0, 1). Ids outside [−num, num) make
 * onnxruntime fail the run.
 */
import { gather } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import type { Initializer } from "../nn/initializer.js";
import { normal } from "../nn/initializers.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import { layerMessages as msg } from "./messages.js";

export interface EmbeddingOptions {
  readonly init?: Initializer;
}

export function embedding(scope: ParameterScope, ids: Value, num: number, dim: number, options: EmbeddingOptions = {}): Value {
  const path = scope.path;
  if (!Number.isSafeInteger(num) || num <= 0) throw new RangeError(msg.notPositiveInteger("embedding", path, "num", num));
  if (!Number.isSafeInteger(dim) || dim <= 0) throw new RangeError(msg.notPositiveInteger("embedding", path, "dim", dim));
  if (ids.dtype !== "int64" && ids.dtype !== "int32") throw new TypeError(msg.badIds(path, ids.dtype));
  return gather(scope.param("weight", [num, dim], options.init ?? normal(1)), ids, 0);
}

/**
 * Dropout: while training, each element is kept with probability 1 − rate and scaled by
 * 1 / (1 − rate) (inverted dropout, as PyTorch); in evaluation, sampling and export it is the
 * identity. The keep mask is a random input of the graph (scope.random), drawn each step from the
 * run's generator, so a resumed run drops exactly the units the uninterrupted one did.
 *
 *   h = dropout(scope.child("drop1"), h, 0.1);   // graph input "random:drop1.mask"
 */
import { cast, mul } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import { bernoulli } from "../nn/random-input.js";
import { layerMessages } from "./messages.js";

export function dropout(scope: ParameterScope, x: Value, rate: number): Value {
  if (typeof rate !== "number" || !(rate >= 0 && rate < 1))
    throw new RangeError(layerMessages.badOption("dropout", scope.path, "rate", "a number in [0, 1)", rate));
  if (x.dtype !== "float32" && x.dtype !== "float64") throw new TypeError(layerMessages.notFloat("dropout", scope.path, x.dtype));
  if (!scope.training || rate === 0) return x;
  const keep = 1 - rate;
  return mul(x, cast(scope.random("mask", x.shape, bernoulli(keep, 1 / keep)), x.dtype));
}

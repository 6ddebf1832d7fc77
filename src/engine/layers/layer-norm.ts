/**
 * Layer normalisation over the last `normalizedRank` axes (default 1): each slice is normalised to
 * zero mean and unit (biased) variance, then scaled and offset element-wise, as PyTorch's LayerNorm.
 *
 *   const h = layerNorm(scope.child("ln"), x);   // x [N, D]: parameters ln.weight [D] (ones), ln.bias [D] (zeros)
 *
 * Built from ReduceMean/Sub/Mul/Sqrt/Div so the whole backward is made of standard op gradients.
 */
import { add, div, mul, reduceMean, shift, sqrt, square, sub } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import { ones, zeros } from "../nn/initializers.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import * as msg from "./messages.js";

export interface LayerNormOptions {
  /** How many trailing axes to normalise over (default 1). */
  readonly normalizedRank?: number;
  /** Added to the variance (default 1e-5). */
  readonly epsilon?: number;
  /** Learn an element-wise scale and offset (default true). */
  readonly affine?: boolean;
}

export function layerNorm(scope: ParameterScope, x: Value, options: LayerNormOptions = {}): Value {
  const path = scope.path;
  if (x.dtype !== "float32" && x.dtype !== "float64") throw new TypeError(msg.notFloat("layerNorm", path, x.dtype));
  const k = options.normalizedRank ?? 1;
  if (!Number.isSafeInteger(k) || k <= 0 || k > x.shape.length) {
    throw new RangeError(msg.badOption("layerNorm", path, "normalizedRank", `a whole number in [1, ${x.shape.length}] (the input's rank)`, k));
  }
  const epsilon = options.epsilon ?? 1e-5;
  if (!(epsilon > 0)) throw new RangeError(msg.badOption("layerNorm", path, "epsilon", "a positive number", epsilon));

  const axes = x.shape.map((_, i) => i).slice(x.shape.length - k);
  const centred = sub(x, reduceMean(x, axes));
  const normalised = div(centred, sqrt(shift(reduceMean(square(centred), axes), epsilon)));
  if (options.affine === false) return normalised;
  const shape = x.shape.slice(x.shape.length - k);
  return add(mul(normalised, scope.param("weight", shape, ones())), scope.param("bias", shape, zeros()));
}

/**
 * Layer normalisation over the last `normalizedRank` axes (default 1): each slice is normalised to
 * zero mean and unit (biased) variance, then scaled and offset element-wise, as PyTorch's LayerNorm.
 *
 *   const h = layerNorm(scope.child("ln"), x);   // x [N, D]: parameters ln.weight [D] (ones), ln.bias [D] (zeros)
 *
 * One LayerNormalization node (its gradient is in autodiff/gradients/). onnxruntime normalises in
 * float32 even for float64 inputs. Without `affine` the scale is a constant one and there is no offset.
 */
import { tensor } from "../../tensor.js";
import { layerNorm as layerNormalization } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import { ones, zeros } from "../nn/initializers.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import { layerMessages as msg } from "./messages.js";

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

  const axis = x.shape.length - k;
  const shape = x.shape.slice(axis);
  if (options.affine === false) {
    const n = shape.reduce((a, b) => a * b, 1);
    const one = x.graph.constant(
      x.dtype === "float64" ? tensor("float64", shape, new Float64Array(n).fill(1)) : tensor("float32", shape, new Float32Array(n).fill(1)),
    );
    return layerNormalization(x, one, undefined, { axis, epsilon });
  }
  return layerNormalization(x, scope.param("weight", shape, ones()), scope.param("bias", shape, zeros()), { axis, epsilon });
}

/**
 * Linear (fully connected) layer: y = x·W + b over the last axis.
 *
 *   const h = linear(scope.child("fc1"), x, 256);   // parameters fc1.weight [in, 256], fc1.bias [256]
 *
 * W is stored [in, out] so the forward is one MatMul (onnxruntime fuses MatMul + Add into Gemm for
 * 2-D inputs). Default initialisation is PyTorch's: U(±1/√in) for both weight and bias.
 */
import { add, matmul } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import { layerMessages as msg } from "./messages.js";
import type { Initializer } from "../nn/initializer.js";
import { torchDefault } from "../nn/initializers.js";
import type { ParameterScope } from "../nn/parameter-scope.js";

export interface LinearOptions {
  /** Add a bias (default true). */
  readonly bias?: boolean;
  readonly weightInit?: Initializer;
  readonly biasInit?: Initializer;
}

export function linear(scope: ParameterScope, x: Value, outFeatures: number, options: LinearOptions = {}): Value {
  if (!Number.isInteger(outFeatures) || outFeatures <= 0) throw new RangeError(msg.notPositiveInteger("linear", scope.path, "outFeatures", outFeatures));
  if (x.shape.length === 0) throw new RangeError(msg.scalarInput("linear", scope.path));
  const inFeatures = x.shape[x.shape.length - 1]!;
  const w = scope.param("weight", [inFeatures, outFeatures], options.weightInit ?? torchDefault(inFeatures));
  const y = matmul(x, w);
  if (options.bias === false) return y;
  const b = scope.param("bias", [outFeatures], options.biasInit ?? torchDefault(inFeatures));
  return add(y, b);
}

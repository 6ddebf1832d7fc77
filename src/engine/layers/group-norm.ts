/**
 * Group normalisation over [N, C, …spatial] (Wu & He 2018): the channels are split into `groups`
 * groups; each sample's group is normalised to zero mean and unit (biased) variance, then a
 * per-channel scale and offset are applied, as PyTorch's GroupNorm.
 *
 *   const h = groupNorm(scope.child("norm1"), x, 8);   // parameters norm1.weight [C] (ones), norm1.bias [C] (zeros)
 *
 * Built from standard ops with one composite gradient (autodiff/composites/group-norm.ts), which
 * takes far fewer passes over the activations than the GroupNormalization-21 op (which onnxruntime
 * expands into those ops anyway) and its per-op backward. Without `affine` the scale and offset are
 * constant ones and zeros.
 */
import { tensor } from "../../tensor.js";
import { groupNormComposite } from "../autodiff/composites/group-norm.js";
import type { Value } from "../graph/value.js";
import { ones, zeros } from "../nn/initializers.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import { layerMessages as msg } from "./messages.js";

export interface GroupNormOptions {
  /** Added to the variance (default 1e-5). */
  readonly epsilon?: number;
  /** Learn a per-channel scale and offset (default true). */
  readonly affine?: boolean;
}

export function groupNorm(scope: ParameterScope, x: Value, groups: number, options: GroupNormOptions = {}): Value {
  const path = scope.path;
  if (x.dtype !== "float32" && x.dtype !== "float64") throw new TypeError(msg.notFloat("groupNorm", path, x.dtype));
  if (x.shape.length < 2) throw new RangeError(msg.badRank("groupNorm", path, "[N, C, …]", x.shape));
  if (!Number.isSafeInteger(groups) || groups <= 0) throw new RangeError(msg.notPositiveInteger("groupNorm", path, "groups", groups));
  const c = x.shape[1]!;
  if (c % groups !== 0) throw new RangeError(msg.notDivisible("groupNorm", path, "channels", c, "groups", groups));
  const epsilon = options.epsilon ?? 1e-5;
  if (!(epsilon > 0)) throw new RangeError(msg.badOption("groupNorm", path, "epsilon", "a positive number", epsilon));

  const affine = options.affine ?? true;
  const constant = (v: number): Value =>
    x.graph.constant(x.dtype === "float64" ? tensor("float64", [c], new Float64Array(c).fill(v)) : tensor("float32", [c], new Float32Array(c).fill(v)));
  const weight = affine ? scope.param("weight", [c], ones()) : constant(1);
  const bias = affine ? scope.param("bias", [c], zeros()) : constant(0);
  return groupNormComposite(x, weight, bias, groups, epsilon);
}

/**
 * Group normalisation over [N, C, …spatial] (Wu & He 2018): the channels are split into `groups`
 * groups; each sample's group is normalised to zero mean and unit variance, then a per-channel
 * scale and offset are applied.
 *
 *   const h = groupNorm(scope.child("norm1"), x, 8);   // parameters norm1.weight [C] (ones), norm1.bias [C] (zeros)
 *
 * Built from Reshape/ReduceMean/Sub/Mul/Sqrt/Div so the whole backward is made of standard op
 * gradients; the variance is the biased one (divides by the group size), as PyTorch's GroupNorm.
 */
import { add, div, mul, reduceMean, reshape, shift, sqrt, square, sub } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import { ones, zeros } from "../nn/initializers.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import * as msg from "./messages.js";

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
  const [n, c] = [x.shape[0]!, x.shape[1]!];
  if (c % groups !== 0) throw new RangeError(msg.notDivisible("groupNorm", path, "channels", c, "groups", groups));
  const epsilon = options.epsilon ?? 1e-5;
  if (!(epsilon > 0)) throw new RangeError(msg.badOption("groupNorm", path, "epsilon", "a positive number", epsilon));

  const grouped = reshape(x, [n, groups, (x.shape.slice(1).reduce((a, b) => a * b, 1)) / groups]);
  const centred = sub(grouped, reduceMean(grouped, [2]));
  const std = sqrt(shift(reduceMean(square(centred), [2]), epsilon));
  const normalised = reshape(div(centred, std), x.shape);
  if (options.affine === false) return normalised;
  // [C] parameters broadcast as [C, 1, …] against [N, C, …spatial].
  const perChannel = [c, ...x.shape.slice(2).map(() => 1)];
  const weight = reshape(scope.param("weight", [c], ones()), perChannel);
  const bias = reshape(scope.param("bias", [c], zeros()), perChannel);
  return add(mul(normalised, weight), bias);
}

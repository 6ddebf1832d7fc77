import { mul, reduceSum, reshape, sub } from "../../graph/functional.js";
import { product } from "../../graph/shape.js";
import type { Value } from "../../graph/value.js";
import type { GradientContext, GradientDefinition } from "../gradient-registry.js";
import { moments, normalizeBackward } from "./LayerNormalization_grad.js";

/**
 * Y = x̂·γ[c] + β[c] with x̂ normalised over each of `groups` channel groups (and space) of each
 * sample: X is viewed as [N, G, C/G·spatial], the statistics recomputed there (the op does not
 * output them), the LayerNorm backward applied, and the per-channel affine summed over N and space.
 */
export function groupNormBackward(ctx: GradientContext, groups: number): (Value | undefined)[] {
  const x = ctx.input(0);
  const scale = ctx.input(1);
  const [batch, channels] = [x.shape[0]!, x.shape[1]!];
  const grouped = [batch, groups, (channels / groups) * product(x.shape.slice(2))];
  const perChannel = [1, channels, ...x.shape.slice(2).map(() => 1)];
  const notChannel = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const dy = ctx.dyOrZeros(0);

  const xg = reshape(x, grouped);
  const { mean, invStd } = moments(xg, [2], ctx.attr("epsilon", 1e-5));
  const xhat = mul(sub(xg, mean), invStd);
  return [
    ctx.needs(0) ? reshape(normalizeBackward(reshape(mul(dy, reshape(scale, perChannel)), grouped), xhat, invStd, [2]), x.shape) : undefined,
    ctx.needs(1) ? reduceSum(mul(dy, reshape(xhat, x.shape)), notChannel, false) : undefined,
    ctx.needs(2) ? reduceSum(dy, notChannel, false) : undefined,
  ];
}

export const groupNormalizationGrad: GradientDefinition = {
  opType: "GroupNormalization",
  gradient: (ctx) => groupNormBackward(ctx, ctx.attr("num_groups", 1)),
};

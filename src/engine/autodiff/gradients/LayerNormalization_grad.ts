import { add, cast, div, mul, reduceMean, scalarLike, sqrt, square, sub } from "../../graph/functional.js";
import { normalizeAxis, product } from "../../graph/shape.js";
import type { Value } from "../../graph/value.js";
import type { GradientDefinition } from "../gradient-registry.js";
import { unbroadcast } from "../unbroadcast.js";

/**
 * Backward of x̂ = (x − μ)·r over `axes` (r = 1/√(σ² + ε)) given g = d(loss)/dx̂:
 * dx = r·(g − mean(g) − x̂·mean(g·x̂)). Shared with GroupNormalization and InstanceNormalization.
 */
export function normalizeBackward(g: Value, xhat: Value, r: Value, axes: readonly number[]): Value {
  return mul(r, sub(sub(g, reduceMean(g, axes)), mul(xhat, reduceMean(mul(g, xhat), axes))));
}

/** Mean and 1/√(var + ε) over `axes` (kept), computed in x's dtype. */
export function moments(x: Value, axes: readonly number[], epsilon: number): { mean: Value; invStd: Value } {
  const mean = reduceMean(x, axes);
  const variance = reduceMean(square(sub(x, mean)), axes);
  return { mean, invStd: div(scalarLike(x, 1), sqrt(add(variance, scalarLike(x, epsilon)))) };
}

/** A constant scale of ones (groupNorm's LayerNormalization) needs no multiply. */
function allOnes(v: Value): boolean {
  return v.constant !== undefined && Array.prototype.every.call(v.constant.data, (e: number) => e === 1);
}

/**
 * Y = x̂·γ + β with x̂ normalised over the axes from `axis` on. Uses the node's Mean and InvStdDev
 * outputs (float32 whatever X's dtype: onnxruntime normalises in float32, so they are exactly the
 * statistics the forward used), recomputing them only when the node was created without them.
 * Gradients reaching Mean or InvStdDev themselves are included: dμ spreads as dμ/K, and
 * dr/dx = −r²·x̂/K.
 */
export const layerNormalizationGrad: GradientDefinition = {
  opType: "LayerNormalization",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const scale = ctx.input(1);
    const bias = ctx.node.inputs[2];
    const rank = x.shape.length;
    const axis = normalizeAxis(ctx.attr("axis", -1), rank);
    const axes = [...Array(rank - axis).keys()].map((i) => i + axis);
    const [meanOut, invStdOut] = [ctx.node.outputs[1], ctx.node.outputs[2]];
    const { mean, invStd } =
      meanOut !== undefined && invStdOut !== undefined
        ? { mean: cast(meanOut, x.dtype), invStd: cast(invStdOut, x.dtype) }
        : moments(x, axes, ctx.attr("epsilon", 1e-5));
    const xhat = mul(sub(x, mean), invStd);
    const dy = ctx.dyOrZeros(0);

    let dx: Value | undefined;
    if (ctx.needs(0)) {
      dx = normalizeBackward(allOnes(scale) ? dy : mul(dy, scale), xhat, invStd, axes);
      const count = product(x.shape.slice(axis));
      const dMean = ctx.dy[1];
      if (dMean !== undefined) dx = add(dx, mul(cast(dMean, x.dtype), scalarLike(x, 1 / count)));
      const dInvStd = ctx.dy[2];
      if (dInvStd !== undefined) dx = add(dx, mul(mul(cast(dInvStd, x.dtype), square(invStd)), mul(xhat, scalarLike(x, -1 / count))));
    }
    return [
      dx,
      ctx.needs(1) ? unbroadcast(mul(dy, xhat), scale.shape) : undefined,
      bias !== undefined && ctx.needs(2) ? unbroadcast(dy, bias.shape) : undefined,
    ];
  },
};

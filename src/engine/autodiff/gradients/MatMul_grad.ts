import { matmul, reshape, transpose } from "../../graph/functional.js";
import type { Value } from "../../graph/value.js";
import type { GradientDefinition } from "../gradient-registry.js";
import { unbroadcast } from "../unbroadcast.js";

/** Swaps the last two axes. */
function mT(v: Value): Value {
  const r = v.shape.length;
  return transpose(v, [...Array(r - 2).keys(), r - 1, r - 2]);
}

/**
 * Y = A·B. 1-D operands are promoted to matrices (as MatMul does) so one rule serves every rank:
 * dA = dY·Bᵀ, dB = Aᵀ·dY, each summed over broadcast batch axes.
 */
export const matMulGrad: GradientDefinition = {
  opType: "MatMul",
  gradient: (ctx) => {
    const a = ctx.input(0);
    const b = ctx.input(1);
    const a2 = a.shape.length === 1 ? reshape(a, [1, a.shape[0]!]) : a;
    const b2 = b.shape.length === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
    const yShape = [...ctx.output(0).shape];
    if (a.shape.length === 1) yShape.splice(yShape.length - (b.shape.length === 1 ? 0 : 1), 0, 1);
    if (b.shape.length === 1) yShape.push(1);
    const dy = reshape(ctx.dyOrZeros(0), yShape);
    const da = ctx.needs(0) ? reshape(unbroadcast(matmul(dy, mT(b2)), a2.shape), a.shape) : undefined;
    const db = ctx.needs(1) ? reshape(unbroadcast(matmul(mT(a2), dy), b2.shape), b.shape) : undefined;
    return [da, db];
  },
};

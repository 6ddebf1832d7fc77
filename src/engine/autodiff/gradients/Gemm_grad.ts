import { scale } from "../../graph/functional.js";
import type { Value } from "../../graph/value.js";
import type { GradientDefinition } from "../gradient-registry.js";
import { unbroadcast } from "../unbroadcast.js";

/**
 * Y = α·op(A)·op(B) + β·C. With d op(A) = α·dY·op(B)ᵀ and d op(B) = α·op(A)ᵀ·dY, each gradient is
 * one Gemm whose trans flags absorb every transpose: e.g. transA=0 → dA = Gemm(dY, B, transB=¬transB);
 * transA=1 → dA = Gemm(B, dY, transA=transB, transB=1). dC = β·dY summed over broadcast axes.
 */
export const gemmGrad: GradientDefinition = {
  opType: "Gemm",
  gradient: (ctx) => {
    const a = ctx.input(0);
    const b = ctx.input(1);
    const c = ctx.node.inputs[2];
    const dy = ctx.dyOrZeros(0);
    const alpha = ctx.attr("alpha", 1);
    const beta = ctx.attr("beta", 1);
    const transA = ctx.attr("transA", 0);
    const transB = ctx.attr("transB", 0);
    const gemm = (p: Value, q: Value, tp: number, tq: number): Value => {
      const attrs: Record<string, number> = { transA: tp, transB: tq };
      if (alpha !== 1) attrs["alpha"] = alpha;
      return ctx.graph.op("Gemm", [p, q], attrs);
    };
    const da = !ctx.needs(0) ? undefined : transA === 0 ? gemm(dy, b, 0, 1 - transB) : gemm(b, dy, transB, 1);
    const db = !ctx.needs(1) ? undefined : transB === 0 ? gemm(a, dy, 1 - transA, 0) : gemm(dy, a, 1, transA);
    const dc = c !== undefined && ctx.needs(2) ? unbroadcast(beta === 1 ? dy : scale(dy, beta), c.shape) : undefined;
    return [da, db, dc];
  },
};

/** MatMul (numpy semantics, batch dims broadcast) and Gemm. */
import { opMessages as msg } from "./messages.js";
import { registerOp } from "../op-schema.js";
import { broadcastShapes } from "../shape.js";

registerOp({
  opType: "MatMul",
  attributes: {},
  infer: (ctx) => {
    const a = ctx.input(0);
    const b = ctx.input(1);
    if (a.dtype !== b.dtype) ctx.fail(msg.sameDtype());
    if (a.shape.length === 0 || b.shape.length === 0) ctx.fail(msg.matmulScalars());
    const as = a.shape.length === 1 ? [1, a.shape[0]!] : [...a.shape];
    const bs = b.shape.length === 1 ? [b.shape[0]!, 1] : [...b.shape];
    const k1 = as[as.length - 1]!;
    const k2 = bs[bs.length - 2]!;
    if (k1 !== k2) ctx.fail(msg.innerDimensions(k1, k2));
    const batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2));
    if (batch === undefined) ctx.fail(msg.batchNoBroadcast(a.shape, b.shape));
    const out = [...batch!];
    if (a.shape.length > 1) out.push(as[as.length - 2]!);
    if (b.shape.length > 1) out.push(bs[bs.length - 1]!);
    return [{ dtype: a.dtype, shape: out }];
  },
});

registerOp({
  opType: "Gemm",
  attributes: { alpha: "float", beta: "float", transA: "int", transB: "int" },
  infer: (ctx) => {
    const a = ctx.input(0);
    const b = ctx.input(1);
    if (a.shape.length !== 2 || b.shape.length !== 2) ctx.fail(msg.gemmRanks());
    const [m, ka] = ctx.attr("transA", 0) ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [kb, n] = ctx.attr("transB", 0) ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (ka !== kb) ctx.fail(msg.innerDimensions(ka, kb));
    const c = ctx.inputs[2];
    if (c !== undefined && broadcastShapes(c.shape, [m, n]) === undefined) ctx.fail(msg.gemmBias(c.shape, m, n));
    return [{ dtype: a.dtype, shape: [m, n] }];
  },
});

registerOp({
  opType: "Einsum",
  attributes: { equation: "string" },
  infer: (ctx) => {
    const eq = ctx.requiredAttr<string>("equation").replace(/\s+/g, "");
    const [lhs, rhs] = eq.split("->");
    if (rhs === undefined || lhs === undefined || eq.includes(".")) ctx.fail(msg.einsumImplicit(eq));
    const terms = lhs!.split(",");
    if (terms.length !== ctx.inputs.length) ctx.fail(msg.einsumOperands(terms.length, ctx.inputs.length));
    const sizes = new Map<string, number>();
    terms.forEach((term, i) => {
      const shape = ctx.input(i).shape;
      if (term.length !== shape.length) ctx.fail(msg.einsumRank(i, term, shape));
      [...term].forEach((letter, j) => {
        const d = shape[j]!;
        const seen = sizes.get(letter);
        if (seen !== undefined && seen !== d && seen !== 1 && d !== 1) ctx.fail(msg.einsumIndexSizes(letter, seen, d));
        sizes.set(letter, Math.max(seen ?? 1, d));
      });
    });
    return [{ dtype: ctx.input(0).dtype, shape: [...rhs!].map((l) => sizes.get(l) ?? ctx.fail(msg.einsumOutputIndex(l))) }];
  },
});

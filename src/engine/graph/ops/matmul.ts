/** MatMul (numpy semantics, batch dims broadcast) and Gemm. */
import { registerOp } from "../op-schema.js";
import { broadcastShapes, formatShape } from "../shape.js";

registerOp({
  opType: "MatMul",
  attributes: {},
  infer: (ctx) => {
    const a = ctx.input(0);
    const b = ctx.input(1);
    if (a.dtype !== b.dtype) ctx.fail("both inputs must have the same dtype");
    if (a.shape.length === 0 || b.shape.length === 0) ctx.fail("scalars cannot be multiplied with MatMul");
    const as = a.shape.length === 1 ? [1, a.shape[0]!] : [...a.shape];
    const bs = b.shape.length === 1 ? [b.shape[0]!, 1] : [...b.shape];
    const k1 = as[as.length - 1]!;
    const k2 = bs[bs.length - 2]!;
    if (k1 !== k2) ctx.fail(`inner dimensions ${k1} and ${k2} differ`);
    const batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2));
    if (batch === undefined) ctx.fail(`batch dimensions of ${formatShape(a.shape)} and ${formatShape(b.shape)} do not broadcast`);
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
    if (a.shape.length !== 2 || b.shape.length !== 2) ctx.fail("A and B must be 2-D");
    const [m, ka] = ctx.attr("transA", 0) ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [kb, n] = ctx.attr("transB", 0) ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (ka !== kb) ctx.fail(`inner dimensions ${ka} and ${kb} differ`);
    const c = ctx.inputs[2];
    if (c !== undefined && broadcastShapes(c.shape, [m, n]) === undefined) ctx.fail(`C ${formatShape(c.shape)} does not broadcast to [${m}, ${n}]`);
    return [{ dtype: a.dtype, shape: [m, n] }];
  },
});

registerOp({
  opType: "Einsum",
  attributes: { equation: "string" },
  infer: (ctx) => {
    const eq = ctx.requiredAttr<string>("equation").replace(/\s+/g, "");
    const [lhs, rhs] = eq.split("->");
    if (rhs === undefined || lhs === undefined || eq.includes(".")) ctx.fail(`equation '${eq}' must be explicit ('ab,bc->ac') without ellipsis`);
    const terms = lhs!.split(",");
    if (terms.length !== ctx.inputs.length) ctx.fail(`equation has ${terms.length} operands, node has ${ctx.inputs.length} inputs`);
    const sizes = new Map<string, number>();
    terms.forEach((term, i) => {
      const shape = ctx.input(i).shape;
      if (term.length !== shape.length) ctx.fail(`operand ${i} '${term}' has rank ${term.length}, input has ${formatShape(shape)}`);
      [...term].forEach((letter, j) => {
        const d = shape[j]!;
        const seen = sizes.get(letter);
        if (seen !== undefined && seen !== d && seen !== 1 && d !== 1) ctx.fail(`index '${letter}' is ${seen} in one operand and ${d} in another`);
        sizes.set(letter, Math.max(seen ?? 1, d));
      });
    });
    return [{ dtype: ctx.input(0).dtype, shape: [...rhs!].map((l) => sizes.get(l) ?? ctx.fail(`output index '${l}' is not in any operand`)) }];
  },
});

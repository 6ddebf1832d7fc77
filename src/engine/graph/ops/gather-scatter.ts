/** Indexing ops: embeddings (Gather), their gradients (ScatterND/ScatterElements), OneHot. */
import { registerOp } from "../op-schema.js";
import { normalizeAxis } from "../shape.js";

registerOp({
  opType: "Gather",
  attributes: { axis: "int" },
  infer: (ctx) => {
    const data = ctx.input(0);
    const idx = ctx.input(1);
    const axis = normalizeAxis(ctx.attr("axis", 0), data.shape.length);
    return [{ dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)] }];
  },
});

registerOp({
  opType: "GatherElements",
  attributes: { axis: "int" },
  infer: (ctx) => [{ dtype: ctx.input(0).dtype, shape: ctx.input(1).shape }],
});

for (const opType of ["ScatterND", "ScatterElements"]) {
  registerOp({
    opType,
    attributes: opType === "ScatterND" ? { reduction: "string" } : { axis: "int", reduction: "string" },
    infer: (ctx) => [{ dtype: ctx.input(0).dtype, shape: ctx.input(0).shape }],
  });
}

registerOp({
  opType: "OneHot",
  attributes: { axis: "int" },
  infer: (ctx) => {
    const idx = ctx.input(0);
    const depth = ctx.constantInts(1)[0]!;
    const axis = ctx.attr("axis", -1);
    const rank = idx.shape.length + 1;
    const a = axis < 0 ? axis + rank : axis;
    const shape = [...idx.shape];
    shape.splice(a, 0, depth);
    return [{ dtype: ctx.input(2).dtype, shape }];
  },
});

for (const opType of ["ArgMax", "ArgMin"]) {
  registerOp({
    opType,
    attributes: { axis: "int", keepdims: "int", select_last_index: "int" },
    infer: (ctx) => {
      const x = ctx.input(0);
      const axis = normalizeAxis(ctx.attr("axis", 0), x.shape.length);
      const keep = ctx.attr("keepdims", 1) === 1;
      return [{ dtype: "int64", shape: keep ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis) }];
    },
  });
}

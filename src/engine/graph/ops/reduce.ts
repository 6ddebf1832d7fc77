/** Reductions (opset 18+: axes are an input) and Dropout. */
import { registerOp } from "../op-schema.js";
import { normalizeAxis } from "../shape.js";

for (const opType of ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceSumSquare", "ReduceL2", "ReduceProd", "ReduceLogSumExp"]) {
  registerOp({
    opType,
    attributes: { keepdims: "int", noop_with_empty_axes: "int" },
    infer: (ctx) => {
      const x = ctx.input(0);
      const given = ctx.inputs[1] !== undefined ? ctx.constantInts(1).map((a) => normalizeAxis(a, x.shape.length)) : [];
      const noop = ctx.attr("noop_with_empty_axes", 0) === 1;
      if (given.length === 0 && noop) return [{ dtype: x.dtype, shape: x.shape }];
      const axes = given.length === 0 ? x.shape.map((_, i) => i) : given;
      const keep = ctx.attr("keepdims", 1) === 1;
      const shape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
      return [{ dtype: x.dtype, shape }];
    },
  });
}

registerOp({
  opType: "Dropout",
  attributes: { seed: "int" },
  infer: (ctx) => {
    const x = ctx.input(0);
    return [
      { dtype: x.dtype, shape: x.shape },
      { dtype: "bool", shape: x.shape },
    ];
  },
});

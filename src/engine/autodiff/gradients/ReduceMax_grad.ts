import { cast, div, equal, expand, mul, reduceSum, reshape } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";
import { reducedAxes } from "./ReduceSum_grad.js";

/**
 * y = max over axes: dy goes to the elements equal to the maximum, split evenly between ties
 * (the same rule as Max/Min; PyTorch's amax does this too).
 */
export const reduceMaxGrad: GradientDefinition = {
  opType: "ReduceMax",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const noAxes = ctx.node.inputs[1] === undefined || ctx.node.inputs[1].constant?.data.length === 0;
    if (noAxes && ctx.attr("noop_with_empty_axes", 0) === 1) return [ctx.dyOrZeros(0), undefined];
    const axes = reducedAxes(ctx);
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const hits = cast(equal(x, reshape(ctx.output(0), kept)), x.dtype);
    const share = div(reshape(ctx.dyOrZeros(0), kept), reduceSum(hits, axes, true));
    return [mul(hits, expand(share, x.shape)), undefined];
  },
};

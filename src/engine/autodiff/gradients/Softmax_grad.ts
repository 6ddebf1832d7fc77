import { mul, reduceSum, sub } from "../../graph/functional.js";
import { normalizeAxis } from "../../graph/shape.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = softmax(x) along one axis (opset 13+): dx = y · (dy − Σ_axis dy·y). */
export const softmaxGrad: GradientDefinition = {
  opType: "Softmax",
  gradient: (ctx) => {
    const y = ctx.output(0);
    const dy = ctx.dyOrZeros(0);
    const axis = normalizeAxis(ctx.attr("axis", -1), y.shape.length);
    return [mul(y, sub(dy, reduceSum(mul(dy, y), [axis], true)))];
  },
};

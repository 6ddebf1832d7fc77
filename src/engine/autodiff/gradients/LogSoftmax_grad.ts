import { exp, mul, reduceSum, sub } from "../../graph/functional.js";
import { normalizeAxis } from "../../graph/shape.js";
import type { Value } from "../../graph/value.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** The input gradient of y = log_softmax(x) along `axis`: dy − e^y · Σ_axis dy. */
export function logSoftmaxBackward(y: Value, dy: Value, axis: number): Value {
  return sub(dy, mul(exp(y), reduceSum(dy, [axis], true)));
}

export const logSoftmaxGrad: GradientDefinition = {
  opType: "LogSoftmax",
  gradient: (ctx) => {
    const y = ctx.output(0);
    return [logSoftmaxBackward(y, ctx.dyOrZeros(0), normalizeAxis(ctx.attr("axis", -1), y.shape.length))];
  },
};

import { add, mul, scalarLike, sigmoid, softplus, sub, tanh } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = x · tanh(softplus(x)), t = tanh(softplus(x)): dx = dy · (t + x · (1 − t²) · σ(x)). */
export const mishGrad: GradientDefinition = {
  opType: "Mish",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const t = tanh(softplus(x));
    const slope = add(t, mul(mul(x, sub(scalarLike(t, 1), mul(t, t))), sigmoid(x)));
    return [mul(ctx.dyOrZeros(0), slope)];
  },
};

import { exp, mul, neg, scale } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = erf(x): dx = dy · (2/√π) · e^(−x²). */
export const erfGrad: GradientDefinition = {
  opType: "Erf",
  gradient: (ctx) => {
    const x = ctx.input(0);
    return [mul(ctx.dyOrZeros(0), scale(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI)))];
  },
};

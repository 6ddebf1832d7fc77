import { div, mul, shift, sqrt } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = arsinh(x): dx = dy / √(x² + 1). */
export const asinhGrad: GradientDefinition = {
  opType: "Asinh",
  gradient: (ctx) => {
    const x = ctx.input(0);
    return [div(ctx.dyOrZeros(0), sqrt(shift(mul(x, x), 1)))];
  },
};

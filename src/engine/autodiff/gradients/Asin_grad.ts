import { div, mul, scalarLike, sqrt, sub } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = arcsin(x): dx = dy / √(1 − x²) (infinite at x = ±1). */
export const asinGrad: GradientDefinition = {
  opType: "Asin",
  gradient: (ctx) => {
    const x = ctx.input(0);
    return [div(ctx.dyOrZeros(0), sqrt(sub(scalarLike(x, 1), mul(x, x))))];
  },
};

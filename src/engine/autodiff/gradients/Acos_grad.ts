import { div, mul, neg, scalarLike, sqrt, sub } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = arccos(x): dx = −dy / √(1 − x²) (infinite at x = ±1). */
export const acosGrad: GradientDefinition = {
  opType: "Acos",
  gradient: (ctx) => {
    const x = ctx.input(0);
    return [div(neg(ctx.dyOrZeros(0)), sqrt(sub(scalarLike(x, 1), mul(x, x))))];
  },
};

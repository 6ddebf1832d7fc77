import { div, mul, shift, sqrt } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = arcosh(x), x ≥ 1: dx = dy / √(x² − 1) (infinite at x = 1). */
export const acoshGrad: GradientDefinition = {
  opType: "Acosh",
  gradient: (ctx) => {
    const x = ctx.input(0);
    return [div(ctx.dyOrZeros(0), sqrt(shift(mul(x, x), -1)))];
  },
};

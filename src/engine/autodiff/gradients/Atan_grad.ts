import { div, mul, shift } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = arctan(x): dx = dy / (1 + x²). */
export const atanGrad: GradientDefinition = {
  opType: "Atan",
  gradient: (ctx) => {
    const x = ctx.input(0);
    return [div(ctx.dyOrZeros(0), shift(mul(x, x), 1))];
  },
};

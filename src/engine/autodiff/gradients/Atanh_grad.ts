import { div, mul, scalarLike, sub } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = artanh(x): dx = dy / (1 − x²) (infinite at x = ±1). */
export const atanhGrad: GradientDefinition = {
  opType: "Atanh",
  gradient: (ctx) => {
    const x = ctx.input(0);
    return [div(ctx.dyOrZeros(0), sub(scalarLike(x, 1), mul(x, x)))];
  },
};

import { abs, div, mul, shift } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = x / (1 + |x|): dx = dy / (1 + |x|)². */
export const softsignGrad: GradientDefinition = {
  opType: "Softsign",
  gradient: (ctx) => {
    const d = shift(abs(ctx.input(0)), 1);
    return [div(ctx.dyOrZeros(0), mul(d, d))];
  },
};

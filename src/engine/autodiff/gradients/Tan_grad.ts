import { mul, shift } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = tan(x): dx = dy · (1 + y²), reusing y. */
export const tanGrad: GradientDefinition = {
  opType: "Tan",
  gradient: (ctx) => {
    const y = ctx.output(0);
    return [mul(ctx.dyOrZeros(0), shift(mul(y, y), 1))];
  },
};

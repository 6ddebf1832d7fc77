import { mul, neg } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = 1/x: dx = −dy · y². */
export const reciprocalGrad: GradientDefinition = {
  opType: "Reciprocal",
  gradient: (ctx) => {
    const y = ctx.output(0);
    return [neg(mul(ctx.dyOrZeros(0), mul(y, y)))];
  },
};

import { mul, scalarLike, sub } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = σ(x): dx = dy · y · (1 − y). */
export const sigmoidGrad: GradientDefinition = {
  opType: "Sigmoid",
  gradient: (ctx) => {
    const y = ctx.output(0);
    return [mul(ctx.dyOrZeros(0), mul(y, sub(scalarLike(y, 1), y)))];
  },
};

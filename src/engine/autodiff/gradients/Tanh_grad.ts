import { mul, scalarLike, sub } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = tanh(x): dx = dy · (1 − y²). */
export const tanhGrad: GradientDefinition = {
  opType: "Tanh",
  gradient: (ctx) => {
    const y = ctx.output(0);
    return [mul(ctx.dyOrZeros(0), sub(scalarLike(y, 1), mul(y, y)))];
  },
};

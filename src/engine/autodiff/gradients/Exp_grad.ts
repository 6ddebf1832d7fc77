import { mul } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = eˣ: dx = dy · y. */
export const expGrad: GradientDefinition = {
  opType: "Exp",
  gradient: (ctx) => [mul(ctx.dyOrZeros(0), ctx.output(0))],
};

import { mul, sinh } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = cosh(x): dx = dy · sinh(x). */
export const coshGrad: GradientDefinition = {
  opType: "Cosh",
  gradient: (ctx) => [mul(ctx.dyOrZeros(0), sinh(ctx.input(0)))],
};

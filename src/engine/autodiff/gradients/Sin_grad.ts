import { cos, mul } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = sin(x): dx = dy · cos(x). */
export const sinGrad: GradientDefinition = {
  opType: "Sin",
  gradient: (ctx) => [mul(ctx.dyOrZeros(0), cos(ctx.input(0)))],
};

import { div, scale } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = √x: dx = dy / (2y). */
export const sqrtGrad: GradientDefinition = {
  opType: "Sqrt",
  gradient: (ctx) => [div(scale(ctx.dyOrZeros(0), 0.5), ctx.output(0))],
};

import { neg } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

export const negGrad: GradientDefinition = {
  opType: "Neg",
  gradient: (ctx) => [neg(ctx.dyOrZeros(0))],
};

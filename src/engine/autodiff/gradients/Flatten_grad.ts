import { reshape } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

export const flattenGrad: GradientDefinition = {
  opType: "Flatten",
  gradient: (ctx) => [reshape(ctx.dyOrZeros(0), ctx.input(0).shape)],
};

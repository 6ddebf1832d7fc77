import { reshape } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

export const unsqueezeGrad: GradientDefinition = {
  opType: "Unsqueeze",
  gradient: (ctx) => [reshape(ctx.dyOrZeros(0), ctx.input(0).shape), undefined],
};

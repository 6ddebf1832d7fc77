import { reshape } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

export const squeezeGrad: GradientDefinition = {
  opType: "Squeeze",
  gradient: (ctx) => [reshape(ctx.dyOrZeros(0), ctx.input(0).shape), undefined],
};

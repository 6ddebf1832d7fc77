import { reshape } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

export const reshapeGrad: GradientDefinition = {
  opType: "Reshape",
  gradient: (ctx) => [reshape(ctx.dyOrZeros(0), ctx.input(0).shape), undefined],
};

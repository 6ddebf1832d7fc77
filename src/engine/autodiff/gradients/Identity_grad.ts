import type { GradientDefinition } from "../gradient-registry.js";

export const identityGrad: GradientDefinition = {
  opType: "Identity",
  gradient: (ctx) => [ctx.dyOrZeros(0)],
};

import type { GradientDefinition } from "../gradient-registry.js";
import { groupNormBackward } from "./GroupNormalization_grad.js";

/** InstanceNormalization is GroupNormalization with one channel per group. */
export const instanceNormalizationGrad: GradientDefinition = {
  opType: "InstanceNormalization",
  gradient: (ctx) => groupNormBackward(ctx, ctx.input(0).shape[1]!),
};

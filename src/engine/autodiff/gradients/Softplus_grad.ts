import { mul, sigmoid } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = log(1 + eˣ): dx = dy · σ(x). */
export const softplusGrad: GradientDefinition = {
  opType: "Softplus",
  gradient: (ctx) => [mul(ctx.dyOrZeros(0), sigmoid(ctx.input(0)))],
};

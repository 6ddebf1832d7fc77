import { mul, sign } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = |x|: dx = dy · sign(x) (0 at x = 0, as in PyTorch). */
export const absGrad: GradientDefinition = {
  opType: "Abs",
  gradient: (ctx) => [mul(ctx.dyOrZeros(0), sign(ctx.input(0)))],
};

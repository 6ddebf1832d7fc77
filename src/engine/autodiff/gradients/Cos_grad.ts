import { mul, neg, sin } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = cos(x): dx = −dy · sin(x). */
export const cosGrad: GradientDefinition = {
  opType: "Cos",
  gradient: (ctx) => [mul(ctx.dyOrZeros(0), neg(sin(ctx.input(0))))],
};

import { cosh, mul } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = sinh(x): dx = dy · cosh(x). */
export const sinhGrad: GradientDefinition = {
  opType: "Sinh",
  gradient: (ctx) => [mul(ctx.dyOrZeros(0), cosh(ctx.input(0)))],
};

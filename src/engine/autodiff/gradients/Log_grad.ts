import { div } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = ln x: dx = dy / x. */
export const logGrad: GradientDefinition = {
  opType: "Log",
  gradient: (ctx) => [div(ctx.dyOrZeros(0), ctx.input(0))],
};

import { greater, scalarLike, where, zeros } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = x where x > α, else 0: dx = dy where x > α, else 0 (α defaults to 1 as in ONNX). */
export const thresholdedReluGrad: GradientDefinition = {
  opType: "ThresholdedRelu",
  gradient: (ctx) => {
    const x = ctx.input(0);
    return [where(greater(x, scalarLike(x, ctx.attr("alpha", 1))), ctx.dyOrZeros(0), zeros(x, []))];
  },
};

import { greater, scalarLike, scale, where } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** dx = dy where x > 0, else α·dy (α defaults to 0.01 as in ONNX; the slope at 0 is α). */
export const leakyReluGrad: GradientDefinition = {
  opType: "LeakyRelu",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const dy = ctx.dyOrZeros(0);
    return [where(greater(x, scalarLike(x, 0)), dy, scale(dy, ctx.attr("alpha", 0.01)))];
  },
};

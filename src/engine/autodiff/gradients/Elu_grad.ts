import { greater, mul, scalarLike, shift, where } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = x for x > 0, else α(eˣ − 1): dx = dy where x > 0, else dy · (y + α), reusing y (α defaults to 1 as in ONNX). */
export const eluGrad: GradientDefinition = {
  opType: "Elu",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const dy = ctx.dyOrZeros(0);
    const alpha = ctx.attr("alpha", 1);
    return [where(greater(x, scalarLike(x, 0)), dy, mul(dy, shift(ctx.output(0), alpha)))];
  },
};

import { greater, mul, scalarLike, scale, shift, where } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** y = x for x > 0, else α(e^(x/α) − 1): dx = dy where x > 0, else dy · (y/α + 1), reusing y (α defaults to 1). */
export const celuGrad: GradientDefinition = {
  opType: "Celu",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const dy = ctx.dyOrZeros(0);
    const alpha = ctx.attr("alpha", 1);
    return [where(greater(x, scalarLike(x, 0)), dy, mul(dy, shift(scale(ctx.output(0), 1 / alpha), 1)))];
  },
};

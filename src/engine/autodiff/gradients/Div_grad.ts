import { div, mul, neg } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";
import { unbroadcast } from "../unbroadcast.js";

/** y = a / b: da = dy / b, db = -dy · y / b. */
export const divGrad: GradientDefinition = {
  opType: "Div",
  gradient: (ctx) => {
    const dy = ctx.dyOrZeros(0);
    const a = ctx.input(0);
    const b = ctx.input(1);
    const da = ctx.needs(0) ? unbroadcast(div(dy, b), a.shape) : undefined;
    const db = ctx.needs(1) ? unbroadcast(neg(div(mul(dy, ctx.output(0)), b)), b.shape) : undefined;
    return [da, db];
  },
};

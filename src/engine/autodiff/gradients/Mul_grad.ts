import { mul } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";
import { unbroadcast } from "../unbroadcast.js";

export const mulGrad: GradientDefinition = {
  opType: "Mul",
  gradient: (ctx) => {
    const dy = ctx.dyOrZeros(0);
    const a = ctx.input(0);
    const b = ctx.input(1);
    return [ctx.needs(0) ? unbroadcast(mul(dy, b), a.shape) : undefined, ctx.needs(1) ? unbroadcast(mul(dy, a), b.shape) : undefined];
  },
};

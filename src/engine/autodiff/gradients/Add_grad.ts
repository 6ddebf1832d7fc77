import type { GradientDefinition } from "../gradient-registry.js";
import { unbroadcast } from "../unbroadcast.js";

export const addGrad: GradientDefinition = {
  opType: "Add",
  gradient: (ctx) => {
    const dy = ctx.dyOrZeros(0);
    return [ctx.needs(0) ? unbroadcast(dy, ctx.input(0).shape) : undefined, ctx.needs(1) ? unbroadcast(dy, ctx.input(1).shape) : undefined];
  },
};

import type { GradientDefinition } from "../gradient-registry.js";
import { unbroadcast } from "../unbroadcast.js";

/** Sums dy over the axes Expand broadcast. */
export const expandGrad: GradientDefinition = {
  opType: "Expand",
  gradient: (ctx) => [unbroadcast(ctx.dyOrZeros(0), ctx.input(0).shape), undefined],
};

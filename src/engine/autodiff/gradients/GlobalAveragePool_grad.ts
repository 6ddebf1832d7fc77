import { expand, scale } from "../../graph/functional.js";
import { product } from "../../graph/shape.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** Y = mean of X over its spatial axes: dX = dY / (H·W…) broadcast over them. */
export const globalAveragePoolGrad: GradientDefinition = {
  opType: "GlobalAveragePool",
  gradient: (ctx) => {
    const x = ctx.input(0);
    return [expand(scale(ctx.dyOrZeros(0), 1 / product(x.shape.slice(2))), x.shape)];
  },
};

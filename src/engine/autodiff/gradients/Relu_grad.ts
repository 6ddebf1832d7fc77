import { greater, scalarLike, where, zeros } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** dx = dy where x > 0, else 0 (the subgradient at 0 is 0, as in PyTorch). */
export const reluGrad: GradientDefinition = {
  opType: "Relu",
  gradient: (ctx) => {
    const x = ctx.input(0);
    return [where(greater(x, scalarLike(x, 0)), ctx.dyOrZeros(0), zeros(x, []))];
  },
};

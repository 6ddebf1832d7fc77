import { greater, mul, scalarLike, where, zeros } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";
import { unbroadcast } from "../unbroadcast.js";

/**
 * y = x where x > 0, else slope · x (slope broadcast to x): dx = dy where x > 0, else slope · dy;
 * dslope = dy · x where x ≤ 0, summed over the axes the slope was broadcast along.
 */
export const preluGrad: GradientDefinition = {
  opType: "PRelu",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const slope = ctx.input(1);
    const dy = ctx.dyOrZeros(0);
    const positive = greater(x, scalarLike(x, 0));
    return [
      ctx.needs(0) ? where(positive, dy, mul(dy, slope)) : undefined,
      ctx.needs(1) ? unbroadcast(where(positive, zeros(dy, []), mul(dy, x)), slope.shape) : undefined,
    ];
  },
};

import { greater, less, mul, scalarLike, scale, shift, where, zeros } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/**
 * y = x · max(0, min(1, x/6 + ½)): dx = 0 for x < −3, dy for x > 3, dy · (x/3 + ½) between (the
 * slope jumps at ±3; PyTorch takes the middle formula at both ends, and so do we).
 */
export const hardSwishGrad: GradientDefinition = {
  opType: "HardSwish",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const dy = ctx.dyOrZeros(0);
    const middle = mul(dy, shift(scale(x, 1 / 3), 0.5));
    return [where(less(x, scalarLike(x, -3)), zeros(dy, []), where(greater(x, scalarLike(x, 3)), dy, middle))];
  },
};

import { where, zeros } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";
import { unbroadcast } from "../unbroadcast.js";

/** y = where(c, a, b): da = dy where c, db = dy where not c, each summed over broadcast axes; none for c. */
export const whereGrad: GradientDefinition = {
  opType: "Where",
  gradient: (ctx) => {
    const c = ctx.input(0);
    const dy = ctx.dyOrZeros(0);
    const zero = zeros(dy, []);
    return [
      undefined,
      ctx.needs(1) ? unbroadcast(where(c, dy, zero), ctx.input(1).shape) : undefined,
      ctx.needs(2) ? unbroadcast(where(c, zero, dy), ctx.input(2).shape) : undefined,
    ];
  },
};

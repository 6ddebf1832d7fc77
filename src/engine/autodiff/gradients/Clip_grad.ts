import { and, greater, less, not, or, reduceSum, reshape, where, zeros } from "../../graph/functional.js";
import type { Value } from "../../graph/value.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** dy summed where `mask` holds, shaped like the scalar bound `like` ([] or [1]). */
function sumWhere(mask: Value, dy: Value, like: Value): Value {
  const picked = where(mask, dy, zeros(dy, []));
  return reshape(
    reduceSum(
      picked,
      picked.shape.map((_, i) => i),
      false,
    ),
    like.shape,
  );
}

/**
 * y = min(max(x, lo), hi) with lo and hi optional scalar inputs (opset 11+). dx = dy where
 * lo < x < hi and 0 elsewhere, also at a bound itself (as our Relu at 0). A bound that needs a
 * gradient gets the dy of the elements it clipped: hi those above it (all of them when lo > hi,
 * where onnxruntime returns hi), lo those below it when lo ≤ hi.
 */
export const clipGrad: GradientDefinition = {
  opType: "Clip",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const lo = ctx.node.inputs[1];
    const hi = ctx.node.inputs[2];
    const dy = ctx.dyOrZeros(0);
    let dx: Value | undefined;
    if (ctx.needs(0)) {
      const aboveLo = lo === undefined ? undefined : greater(x, lo);
      const belowHi = hi === undefined ? undefined : less(x, hi);
      const inside = aboveLo === undefined ? belowHi : belowHi === undefined ? aboveLo : and(aboveLo, belowHi);
      dx = inside === undefined ? dy : where(inside, dy, zeros(dy, []));
    }
    const loAboveHi = (): Value | undefined => (lo !== undefined && hi !== undefined ? greater(lo, hi) : undefined);
    let dlo: Value | undefined;
    if (lo !== undefined && ctx.needs(1)) {
      const crossed = loAboveHi();
      dlo = sumWhere(crossed === undefined ? less(x, lo) : and(less(x, lo), not(crossed)), dy, lo);
    }
    let dhi: Value | undefined;
    if (hi !== undefined && ctx.needs(2)) {
      const crossed = loAboveHi();
      dhi = sumWhere(crossed === undefined ? greater(x, hi) : or(greater(x, hi), crossed), dy, hi);
    }
    return [dx, dlo, dhi];
  },
};

import { and, greater, less, scalarLike, scale, where, zeros } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/**
 * y = max(0, min(1, αx + β)): dx = α·dy where 0 < y < 1 (the linear part), else 0; read off y
 * rather than recomputing αx + β (α = 0.2, β = 0.5 by default, as in ONNX).
 */
export const hardSigmoidGrad: GradientDefinition = {
  opType: "HardSigmoid",
  gradient: (ctx) => {
    const y = ctx.output(0);
    const dy = ctx.dyOrZeros(0);
    const linear = and(greater(y, scalarLike(y, 0)), less(y, scalarLike(y, 1)));
    return [where(linear, scale(dy, ctx.attr("alpha", 0.2)), zeros(dy, []))];
  },
};

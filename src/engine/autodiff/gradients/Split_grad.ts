import { concat } from "../../graph/functional.js";
import { normalizeAxis } from "../../graph/shape.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** Concatenates the outputs' gradients (zeros for outputs that do not reach the loss). */
export const splitGrad: GradientDefinition = {
  opType: "Split",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const axis = normalizeAxis(ctx.attr("axis", 0), x.shape.length);
    return [
      concat(
        ctx.node.outputs.map((_, i) => ctx.dyOrZeros(i)),
        axis,
      ),
      undefined,
    ];
  },
};

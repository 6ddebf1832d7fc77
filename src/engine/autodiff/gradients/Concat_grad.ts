import { split } from "../../graph/functional.js";
import { normalizeAxis } from "../../graph/shape.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** Splits dy back into the inputs' sizes along the concatenation axis. */
export const concatGrad: GradientDefinition = {
  opType: "Concat",
  gradient: (ctx) => {
    const inputs = ctx.node.inputs.map((_, i) => ctx.input(i));
    const axis = normalizeAxis(ctx.attr("axis", 0), inputs[0]!.shape.length);
    const pieces = split(
      ctx.dyOrZeros(0),
      inputs.map((x) => x.shape[axis]!),
      axis,
    );
    return pieces.map((p, i) => (ctx.needs(i) ? p : undefined));
  },
};

import { cast } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/**
 * Float → float casts pass dy back, cast to the input's type. Casts to or from integer or bool types
 * stop gradients: autodiff never marks a non-float value as depending on a differentiated one, so
 * this is only reached for float → float.
 */
export const castGrad: GradientDefinition = {
  opType: "Cast",
  gradient: (ctx) => [cast(ctx.dyOrZeros(0), ctx.input(0).dtype)],
};

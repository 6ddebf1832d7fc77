import { transpose } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** Transposes dy back with the inverse permutation (the default perm reverses the axes). */
export const transposeGrad: GradientDefinition = {
  opType: "Transpose",
  gradient: (ctx) => {
    const rank = ctx.input(0).shape.length;
    const perm = ctx.attr<readonly number[]>("perm", [...Array(rank).keys()].reverse());
    const inverse = new Array<number>(rank);
    perm.forEach((p, i) => {
      inverse[p] = i;
    });
    return [transpose(ctx.dyOrZeros(0), inverse)];
  },
};

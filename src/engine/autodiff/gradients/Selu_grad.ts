import { greater, mul, scalarLike, scale, shift, where } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** ONNX's default Selu constants (the self-normalising ones, as float32). */
const ALPHA = 1.67326319217681884765625;
const GAMMA = 1.05070102214813232421875;

/** y = γx for x > 0, else γα(eˣ − 1): dx = γ·dy where x > 0, else dy · (y + γα), reusing y. */
export const seluGrad: GradientDefinition = {
  opType: "Selu",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const dy = ctx.dyOrZeros(0);
    const alpha = ctx.attr("alpha", ALPHA);
    const gamma = ctx.attr("gamma", GAMMA);
    return [where(greater(x, scalarLike(x, 0)), scale(dy, gamma), mul(dy, shift(ctx.output(0), gamma * alpha)))];
  },
};

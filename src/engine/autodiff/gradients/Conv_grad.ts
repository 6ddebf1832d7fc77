import type { GradientDefinition } from "../gradient-registry.js";
import { backpropBias, backpropInput, backpropWeight, convGeometry } from "./conv-backprop.js";

/**
 * Y = Conv(X, W) + B for any spatial rank, strides, asymmetric pads, dilations and groups:
 * dX = ConvTranspose(dY, W) sized back to X, dW = one grouped Conv of X with dY (conv-backprop.ts),
 * dB = Σ dY over batch and space.
 */
export const convGrad: GradientDefinition = {
  opType: "Conv",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const w = ctx.input(1);
    const dy = ctx.dyOrZeros(0);
    const geo = convGeometry(ctx, w.shape.slice(2));
    return [
      ctx.needs(0) ? backpropInput(dy, w, geo, x.shape.slice(2)) : undefined,
      ctx.needs(1) ? backpropWeight(x, dy, geo) : undefined,
      ctx.needs(2) ? backpropBias(dy) : undefined,
    ];
  },
};

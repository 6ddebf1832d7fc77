import { slice } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";
import { backpropBias, backpropWeight, convGeometry } from "./conv-backprop.js";

/**
 * Y = ConvTranspose(X, W) + B is the adjoint of Conv with the same W, strides, pads, dilations and
 * group, so dX = Conv(dY, W) (cut to X's size when output_padding ≥ stride made it larger) and
 * dW = the Conv weight gradient with the roles of input and output swapped: backpropWeight(dY, X).
 */
export const convTransposeGrad: GradientDefinition = {
  opType: "ConvTranspose",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const w = ctx.input(1);
    const dy = ctx.dyOrZeros(0);
    const geo = convGeometry(ctx, w.shape.slice(2));
    let dx;
    if (ctx.needs(0)) {
      dx = ctx.graph.op("Conv", [dy, w], { strides: geo.strides, dilations: geo.dilations, pads: geo.pads, group: geo.group });
      const spatial = x.shape.slice(2);
      if (dx.shape.slice(2).some((d, i) => d !== spatial[i])) {
        const axes = spatial.map((_, i) => i + 2);
        dx = slice(
          dx,
          axes,
          axes.map(() => 0),
          spatial,
        );
      }
    }
    return [dx, ctx.needs(1) ? backpropWeight(dy, x, geo) : undefined, ctx.needs(2) ? backpropBias(dy) : undefined];
  },
};

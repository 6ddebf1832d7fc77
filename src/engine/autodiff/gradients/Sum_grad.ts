import type { GradientDefinition } from "../gradient-registry.js";
import { unbroadcast } from "../unbroadcast.js";

export const sumGrad: GradientDefinition = {
  opType: "Sum",
  gradient: (ctx) => ctx.node.inputs.map((v, i) => (v !== undefined && ctx.needs(i) ? unbroadcast(ctx.dyOrZeros(0), v.shape) : undefined)),
};

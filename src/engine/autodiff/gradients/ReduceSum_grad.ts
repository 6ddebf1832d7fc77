import { expand, reshape } from "../../graph/functional.js";
import { normalizeAxis } from "../../graph/shape.js";
import type { GradientContext, GradientDefinition } from "../gradient-registry.js";

/** The reduced axes of a Reduce* node (all axes when none are given). */
export function reducedAxes(ctx: GradientContext): number[] {
  const x = ctx.input(0);
  const axesInput = ctx.node.inputs[1];
  if (axesInput === undefined || axesInput.constant === undefined || axesInput.constant.data.length === 0) {
    return x.shape.map((_, i) => i);
  }
  return Array.from(axesInput.constant.data as BigInt64Array, (a) => normalizeAxis(Number(a), x.shape.length));
}

/** dy broadcast back over the reduced axes (restoring them first when keepdims=0). */
export function spreadOverReduced(ctx: GradientContext): ReturnType<typeof expand> {
  const x = ctx.input(0);
  const axes = reducedAxes(ctx);
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return expand(reshape(ctx.dyOrZeros(0), kept), x.shape);
}

export const reduceSumGrad: GradientDefinition = {
  opType: "ReduceSum",
  gradient: (ctx) => [spreadOverReduced(ctx), undefined],
};

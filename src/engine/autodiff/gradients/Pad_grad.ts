import { pad, reshape, slice, sub, sumAll } from "../../graph/functional.js";
import { normalizeAxis } from "../../graph/shape.js";
import type { GradientContext, GradientDefinition } from "../gradient-registry.js";
import { autodiffMessages } from "../messages.js";

function constantInts(ctx: GradientContext, i: number): number[] | undefined {
  const v = ctx.node.inputs[i];
  if (v === undefined) return undefined;
  return Array.from(v.constant!.data as ArrayLike<number | bigint>, Number);
}

/**
 * Constant-mode Pad: dX is the part of dY that came from X (a Slice), padded back with zeros where
 * negative pads cropped X. The fill value received every other element, so d(constant_value) is
 * Σ dY − Σ (that part). Other modes (reflect, edge, wrap) have no gradient here.
 */
export const padGrad: GradientDefinition = {
  opType: "Pad",
  gradient: (ctx) => {
    const mode = ctx.attr("mode", "constant");
    if (mode !== "constant") {
      throw new Error(autodiffMessages.unsupportedGradient("Pad", ctx.node.id, `mode '${mode}'`, "Only constant-mode padding is differentiable here."));
    }
    const x = ctx.input(0);
    const y = ctx.output(0);
    const dy = ctx.dyOrZeros(0);
    const rank = x.shape.length;
    const pads = constantInts(ctx, 1)!;
    const axes = (constantInts(ctx, 3) ?? x.shape.map((_, i) => i)).map((a) => normalizeAxis(a, rank));
    const starts: number[] = [];
    const ends: number[] = [];
    const refill = new Array<number>(2 * rank).fill(0);
    axes.forEach((axis, i) => {
      const [begin, end] = [pads[i]!, pads[i + axes.length]!];
      starts.push(Math.max(begin, 0));
      ends.push(y.shape[axis]! - Math.max(end, 0));
      refill[axis] = Math.max(-begin, 0);
      refill[axis + rank] = Math.max(-end, 0);
    });
    const fromX = slice(dy, axes, starts, ends);
    const fill = ctx.node.inputs[2];
    const dFill = fill !== undefined && ctx.needs(2) ? reshape(sub(sumAll(dy), sumAll(fromX)), fill.shape) : undefined;
    return [ctx.needs(0) ? pad(fromX, refill) : undefined, undefined, dFill, undefined];
  },
};

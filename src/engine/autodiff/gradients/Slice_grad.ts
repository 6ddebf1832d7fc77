import { pad, reshape, slice, unsqueeze, zeros } from "../../graph/functional.js";
import { sliceAxes } from "../../graph/ops/shape-ops.js";
import type { Value } from "../../graph/value.js";
import type { GradientContext, GradientDefinition } from "../gradient-registry.js";

function constantInts(ctx: GradientContext, i: number): number[] | undefined {
  const v = ctx.node.inputs[i];
  if (v === undefined) return undefined;
  return Array.from(v.constant!.data as ArrayLike<number | bigint>, Number);
}

/**
 * Spreads dy along `axis` so that element k lands at index k·step, every other index 0: append
 * step − 1 zeros after each element (Unsqueeze, Pad, Reshape), then drop the trailing ones.
 */
function interleave(dy: Value, axis: number, step: number): Value {
  const count = dy.shape[axis]!;
  const rank = dy.shape.length;
  const pads = new Array<number>(2 * (rank + 1)).fill(0);
  pads[rank + 1 + axis + 1] = step - 1;
  const spread = pad(unsqueeze(dy, [axis + 1]), pads);
  const flat = reshape(
    spread,
    dy.shape.map((d, i) => (i === axis ? count * step : d)),
  );
  return slice(flat, [axis], [0], [(count - 1) * step + 1]);
}

/**
 * Puts dy back where Slice took it, zeros elsewhere. Unit steps are one Pad; other steps are spread
 * out first (negative steps after reversing dy, so the elements run in increasing index order).
 * Slice's starts/ends/axes/steps are constants (the builder's shapes are static).
 */
export const sliceGrad: GradientDefinition = {
  opType: "Slice",
  gradient: (ctx) => {
    const x = ctx.input(0);
    let dy = ctx.dyOrZeros(0);
    const axes = sliceAxes(x.shape, constantInts(ctx, 1)!, constantInts(ctx, 2)!, constantInts(ctx, 3), constantInts(ctx, 4));
    if (axes.some((a) => a.count === 0)) return [zeros(x), undefined, undefined, undefined, undefined];
    const rank = x.shape.length;
    const pads = new Array<number>(2 * rank).fill(0);
    for (const { axis, start, step, count } of axes) {
      let first = start;
      if (step < 0) {
        dy = slice(dy, [axis], [-1], [Number.MIN_SAFE_INTEGER], [-1]);
        first = start + (count - 1) * step;
      }
      const stride = Math.abs(step);
      if (stride > 1 && count > 1) dy = interleave(dy, axis, stride);
      const taken = (count - 1) * stride + 1;
      pads[axis] = first;
      pads[axis + rank] = x.shape[axis]! - first - taken;
    }
    return [pad(dy, pads), undefined, undefined, undefined, undefined];
  },
};

import { reduceSum, reshape } from "../../graph/functional.js";
import { normalizeAxis } from "../../graph/shape.js";
import { tensor } from "../../../tensor.js";
import type { GradientContext, GradientDefinition } from "../gradient-registry.js";
import { autodiffMessages } from "../messages.js";

/** The input index nearest-neighbour Resize reads for output index `out` along one axis (ONNX spec). */
function sourceIndex(out: number, inLength: number, outLength: number, scale: number, coordinates: string, rounding: string): number | undefined {
  let x: number;
  switch (coordinates) {
    case "half_pixel":
    case "half_pixel_symmetric":
      // half_pixel_symmetric only differs when outLength ≠ inLength·scale, which whole factors rule out.
      x = (out + 0.5) / scale - 0.5;
      break;
    case "pytorch_half_pixel":
      x = outLength > 1 ? (out + 0.5) / scale - 0.5 : 0;
      break;
    case "asymmetric":
      x = out / scale;
      break;
    case "tf_half_pixel_for_nn":
      x = (out + 0.5) / scale;
      break;
    case "align_corners":
      x = outLength === 1 ? 0 : (out * (inLength - 1)) / (outLength - 1);
      break;
    default:
      return undefined;
  }
  let i: number;
  switch (rounding) {
    case "round_prefer_floor":
      i = x - Math.floor(x) === 0.5 ? Math.floor(x) : Math.round(x);
      break;
    case "round_prefer_ceil":
      i = x - Math.floor(x) === 0.5 ? Math.ceil(x) : Math.round(x);
      break;
    case "floor":
      i = Math.floor(x);
      break;
    case "ceil":
      i = Math.ceil(x);
      break;
    default:
      return undefined;
  }
  return Math.min(Math.max(i, 0), inLength - 1);
}

/** Per axis, the whole factor by which Resize repeats each element; throws for any other resize. */
function repeatFactors(ctx: GradientContext): number[] {
  const x = ctx.input(0);
  const y = ctx.output(0);
  const fail = (what: string): never => {
    throw new Error(autodiffMessages.resizeNotRepeating(ctx.node.id, what));
  };
  const mode = ctx.attr("mode", "nearest");
  if (mode !== "nearest") fail(`mode '${mode}'`);
  const coordinates = ctx.attr("coordinate_transformation_mode", "half_pixel");
  const rounding = ctx.attr("nearest_mode", "round_prefer_floor");
  const given = ctx.attr<readonly number[]>("axes", []).map((a) => normalizeAxis(a, x.shape.length));
  const axes = given.length > 0 ? given : x.shape.map((_, i) => i);
  const scalesInput = ctx.node.inputs[2];
  const scales =
    ctx.node.inputs[3] === undefined && scalesInput?.constant !== undefined ? Array.from(scalesInput.constant.data as Float32Array, Number) : undefined;
  return x.shape.map((inLength, axis) => {
    const outLength = y.shape[axis]!;
    const factor = outLength / inLength;
    const k = axes.indexOf(axis);
    const scale = k >= 0 && scales !== undefined ? scales[k]! : factor;
    if (!Number.isInteger(factor) || scale !== factor) fail(`scale ${scale} on axis ${axis} (${inLength} → ${outLength})`);
    for (let o = 0; o < outLength; o++) {
      const src = sourceIndex(o, inLength, outLength, scale, coordinates, rounding);
      if (src === undefined) fail(`coordinate_transformation_mode '${coordinates}' with nearest_mode '${rounding}'`);
      if (src !== Math.floor(o / factor))
        fail(
          `coordinate_transformation_mode '${coordinates}' with nearest_mode '${rounding}' on axis ${axis}, which does not repeat each element ${factor} times`,
        );
    }
    return factor;
  });
}

/**
 * Nearest-neighbour Resize by whole factors repeats each input element in a block, so dX sums dY
 * over each block. For factors on the spatial axes only (float32, as onnxruntime's Resize is) that
 * is a depthwise Conv with an all-ones kernel and stride = factor, measured twice as fast here as
 * the general form: Reshape each axis into (length, factor) and ReduceSum the factor axes.
 */
export const resizeGrad: GradientDefinition = {
  opType: "Resize",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const dy = ctx.dyOrZeros(0);
    const factors = repeatFactors(ctx);
    const none = [undefined, undefined, undefined] as const;
    if (factors.every((f) => f === 1)) return [dy, ...none];
    if (x.dtype === "float32" && x.shape.length >= 3 && factors[0] === 1 && factors[1] === 1) {
      const channels = x.shape[1]!;
      const spatial = factors.slice(2);
      const taps = spatial.reduce((a, b) => a * b, 1);
      const ones = ctx.graph.constant(tensor("float32", [channels, 1, ...spatial], new Float32Array(channels * taps).fill(1)));
      return [ctx.graph.op("Conv", [dy, ones], { strides: spatial, group: channels }), ...none];
    }
    const split = x.shape.flatMap((d, i) => [d, factors[i]!]);
    const summed = reduceSum(
      reshape(dy, split),
      x.shape.map((_, i) => 2 * i + 1),
      false,
    );
    return [reshape(summed, x.shape), ...none];
  },
};

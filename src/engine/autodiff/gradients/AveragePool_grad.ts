import { mul, scale } from "../../graph/functional.js";
import { tensor } from "../../../tensor.js";
import type { GradientDefinition } from "../gradient-registry.js";
import { backpropInput, type ConvGeometry } from "./conv-backprop.js";

/**
 * How many window taps of output position `o` along one axis the divisor counts: taps inside the
 * input (count_include_pad=0) or inside the padded input (=1). With ceil_mode the last window can
 * hang past the end padding; those taps never count (as onnxruntime and PyTorch divide).
 */
function tapsCounted(o: number, size: number, geo: ConvGeometry, axis: number, includePad: boolean): number {
  const n = geo.kernel.length;
  const [lo, hi] = includePad ? [-geo.pads[axis]!, size + geo.pads[axis + n]!] : [0, size];
  let count = 0;
  for (let k = 0; k < geo.kernel[axis]!; k++) {
    const at = o * geo.strides[axis]! - geo.pads[axis]! + k * geo.dilations[axis]!;
    if (at >= lo && at < hi) count++;
  }
  return count;
}

/**
 * Y = AveragePool(X): each output is Σ window / count, so dX = the transpose of a depthwise Conv
 * with an all-ones kernel applied to dY / count. The counts depend only on the output position;
 * shapes are static, so they are a constant [oH, oW] table (a scalar when every window counts the
 * same). When the windows tile X exactly, a nearest Resize of dY / K instead. onnxruntime runs
 * AveragePool, ConvTranspose and Resize for float32 only.
 */
export const averagePoolGrad: GradientDefinition = {
  opType: "AveragePool",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const y = ctx.output(0);
    const channels = x.shape[1]!;
    const kernel = ctx.attr<readonly number[]>("kernel_shape", []);
    const n = kernel.length;
    const geo: ConvGeometry = {
      kernel,
      strides: ctx.attr<readonly number[]>("strides", new Array<number>(n).fill(1)),
      dilations: ctx.attr<readonly number[]>("dilations", new Array<number>(n).fill(1)),
      pads: ctx.attr<readonly number[]>("pads", new Array<number>(2 * n).fill(0)),
      group: channels,
    };
    const includePad = ctx.attr("count_include_pad", 0) === 1;
    const outSpatial = y.shape.slice(2);
    const perAxis = outSpatial.map((size, axis) => Array.from({ length: size }, (_, o) => tapsCounted(o, x.shape[axis + 2]!, geo, axis, includePad)));

    let dy = ctx.dyOrZeros(0);
    const tiles =
      geo.pads.every((p) => p === 0) &&
      geo.dilations.every((d) => d === 1) &&
      kernel.every((k, i) => geo.strides[i] === k && x.shape[i + 2] === outSpatial[i]! * k);
    if (tiles) {
      // Windows tile X exactly: dX is dY / K repeated over each window, a nearest Resize, which
      // onnxruntime runs about twice as fast as the depthwise ConvTranspose below.
      const scales = ctx.graph.constant(
        tensor(
          "float32",
          [x.shape.length],
          Float32Array.from(x.shape, (_, i) => (i < 2 ? 1 : kernel[i - 2]!)),
        ),
      );
      return [
        ctx.graph.op("Resize", [scale(dy, 1 / kernel.reduce((a, b) => a * b, 1)), undefined, scales], {
          mode: "nearest",
          coordinate_transformation_mode: "asymmetric",
          nearest_mode: "floor",
        }),
      ];
    }
    if (perAxis.every((counts) => counts.every((c) => c === counts[0]))) {
      dy = scale(dy, 1 / perAxis.reduce((p, counts) => p * counts[0]!, 1));
    } else {
      const total = outSpatial.reduce((a, b) => a * b, 1);
      const inverse = new Float32Array(total);
      for (let i = 0; i < total; i++) {
        let rest = i;
        let count = 1;
        for (let axis = n - 1; axis >= 0; axis--) {
          count *= perAxis[axis]![rest % outSpatial[axis]!]!;
          rest = Math.floor(rest / outSpatial[axis]!);
        }
        inverse[i] = count === 0 ? 0 : 1 / count;
      }
      const shape = [1, 1, ...outSpatial];
      dy = mul(dy, ctx.graph.constant(x.dtype === "float64" ? tensor("float64", shape, Float64Array.from(inverse)) : tensor("float32", shape, inverse)));
    }
    const ones = new Float32Array(channels * kernel.reduce((a, b) => a * b, 1)).fill(1);
    const shape = [channels, 1, ...kernel];
    const w = ctx.graph.constant(x.dtype === "float64" ? tensor("float64", shape, Float64Array.from(ones)) : tensor("float32", shape, ones));
    return [backpropInput(dy, w, geo, x.shape.slice(2))];
  },
};

/**
 * The two adjoints every convolution-like gradient is built from, for any spatial rank:
 *   - `backpropInput`: the transpose of a strided, padded, dilated, grouped Conv (a ConvTranspose),
 *     cropped or extended to an exact spatial size;
 *   - `backpropWeight`: the gradient w.r.t. the kernel as one grouped Conv whose "batch" is the input
 *     channels and whose kernel is the output gradient (strides and dilations swap roles).
 * Conv, ConvTranspose, AveragePool and Resize gradients share them. onnxruntime's CPU provider runs
 * Conv/ConvTranspose for float32 only (measured: float64 has no kernel).
 */
import { reshape, slice, transpose } from "../../graph/functional.js";
import type { Value } from "../../graph/value.js";
import type { GradientContext } from "../gradient-registry.js";

export interface ConvGeometry {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** [begin of each spatial axis…, end of each spatial axis…] as ONNX orders them. */
  readonly pads: readonly number[];
  readonly group: number;
}

/** The window attributes of a Conv/ConvTranspose/pool node (defaults filled in). */
export function convGeometry(ctx: GradientContext, kernel: readonly number[]): ConvGeometry {
  const n = kernel.length;
  const ones = new Array<number>(n).fill(1);
  return {
    kernel,
    strides: ctx.attr<readonly number[]>("strides", ones),
    dilations: ctx.attr<readonly number[]>("dilations", ones),
    pads: ctx.attr<readonly number[]>("pads", new Array<number>(2 * n).fill(0)),
    group: ctx.attr("group", 1),
  };
}

/**
 * ConvTranspose(dy, w) with `geo`'s strides/dilations/group and begin pads, sized to exactly
 * `spatial`: when the forward window did not reach the end of the input (the stride did not divide
 * the padded size) the missing rows come from output_padding; when the forward read end padding,
 * the extra rows are cropped by the end pads.
 */
export function backpropInput(dy: Value, w: Value, geo: ConvGeometry, spatial: readonly number[]): Value {
  const n = spatial.length;
  const endPads: number[] = [];
  const outputPadding: number[] = [];
  for (let i = 0; i < n; i++) {
    const span = geo.dilations[i]! * (geo.kernel[i]! - 1) + 1;
    const full = geo.strides[i]! * (dy.shape[i + 2]! - 1) + span - geo.pads[i]!;
    endPads.push(Math.max(0, full - spatial[i]!));
    outputPadding.push(Math.max(0, spatial[i]! - full));
  }
  return dy.graph.op("ConvTranspose", [dy, w], {
    strides: geo.strides,
    dilations: geo.dilations,
    group: geo.group,
    pads: [...geo.pads.slice(0, n), ...endPads],
    output_padding: outputPadding,
  });
}

/**
 * d(loss)/dW for Y = Conv(X, W) with `geo`, where X is [N, C, …], dY is [N, M, …] and W is
 * [M, C/group, …kernel]. With channels regrouped as [C/g, g·N, …] and dY as a kernel [M, N, …],
 * one Conv with group g, strides = the forward dilations and dilations = the forward strides gives
 * out[c, m, k] = Σₙ Σₚ X[n, c, p·s + k·d − pad] · dY[n, m, p], i.e. Wᵀ (plus trailing rows the
 * forward window never reached, sliced off).
 */
export function backpropWeight(x: Value, dy: Value, geo: ConvGeometry): Value {
  const g = geo.group;
  const [batch, channels] = [x.shape[0]!, x.shape[1]!];
  const outChannels = dy.shape[1]!;
  const spatialX = x.shape.slice(2);
  const spatialY = dy.shape.slice(2);
  const n = spatialX.length;
  const rest = [...Array(n).keys()].map((i) => i + 3);

  const xs = g === 1
    ? transpose(x, [1, 0, ...rest.map((a) => a - 1)])
    : reshape(transpose(reshape(x, [batch, g, channels / g, ...spatialX]), [2, 1, 0, ...rest]), [channels / g, g * batch, ...spatialX]);
  const ks = g === 1
    ? transpose(dy, [1, 0, ...rest.map((a) => a - 1)])
    : reshape(transpose(reshape(dy, [batch, g, outChannels / g, ...spatialY]), [1, 2, 0, ...rest]), [outChannels, batch, ...spatialY]);
  let wt = x.graph.op("Conv", [xs, ks], { strides: geo.dilations, dilations: geo.strides, pads: geo.pads, group: g });
  const reached = wt.shape.slice(2);
  if (reached.some((d, i) => d !== geo.kernel[i])) {
    const axes = [...Array(n).keys()].map((i) => i + 2);
    wt = slice(wt, axes, axes.map(() => 0), [...geo.kernel]);
  }
  return transpose(wt, [1, 0, ...rest.map((a) => a - 1)]);
}

/** Sums a [N, C, …] gradient to the per-channel bias shape [C]. */
export function backpropBias(dy: Value): Value {
  const axes = dy.shape.map((_, i) => i).filter((i) => i !== 1);
  return dy.graph.op("ReduceSum", [dy, dy.graph.int64s(axes)], { keepdims: 0 });
}

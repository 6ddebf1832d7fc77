/**
 * The adjoints convolution gradients are built from, for any spatial rank, stride, pads, dilation
 * and group: `backpropInput` (the transpose of Conv, exactly sized), `backpropWeight` (the kernel
 * gradient) and `backpropBias`. Conv, ConvTranspose and AveragePool gradients share them.
 * onnxruntime's CPU provider runs Conv/ConvTranspose for float32 only (float64 has no kernel).
 */
import { concat, gemm, matmul, reduceSum, reshape, slice, transpose } from "../../graph/functional.js";
import { product } from "../../graph/shape.js";
import { autodiffMessages } from "../messages.js";
import { tensor } from "../../../tensor.js";
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
 * d(loss)/dX for Y = Conv(X, W) with `geo`, sized to X's `spatial` extent.
 * Unit strides: a plain Conv of dY with the spatially flipped, group-transposed kernel and the
 * complementary pads ((k−1)·d − pad), which onnxruntime runs about twice as fast as ConvTranspose.
 * Otherwise ConvTranspose(dY, W): where the stride did not divide the padded size, the rows the
 * forward window never reached come from output_padding; end padding the forward read is cropped.
 */
export function backpropInput(dy: Value, w: Value, geo: ConvGeometry, spatial: readonly number[]): Value {
  const n = spatial.length;
  const spans = geo.kernel.map((k, i) => geo.dilations[i]! * (k - 1));
  const flippedPads = [...spans, ...spans].map((s, i) => s - geo.pads[i]!);
  if (geo.strides.every((s) => s === 1) && flippedPads.every((p) => p >= 0)) {
    return dy.graph.op("Conv", [dy, flippedKernel(w, geo.group)], { dilations: geo.dilations, pads: flippedPads, group: geo.group });
  }
  const endPads: number[] = [];
  const outputPadding: number[] = [];
  for (let i = 0; i < n; i++) {
    const full = geo.strides[i]! * (dy.shape[i + 2]! - 1) + spans[i]! + 1 - geo.pads[i]!;
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

/** W [M, C/g, …k] → [C, M/g, …k] with every spatial axis reversed: the kernel of Conv's adjoint. */
function flippedKernel(w: Value, group: number): Value {
  const [m, cg] = [w.shape[0]!, w.shape[1]!];
  const kernel = w.shape.slice(2);
  const rest = kernel.map((_, i) => i + 3);
  const swapped =
    group === 1
      ? transpose(w, [1, 0, ...rest.map((a) => a - 1)])
      : reshape(transpose(reshape(w, [group, m / group, cg, ...kernel]), [0, 2, 1, ...rest]), [cg * group, m / group, ...kernel]);
  const axes = kernel.map((_, i) => i + 2);
  return slice(
    swapped,
    axes,
    axes.map(() => -1),
    axes.map(() => Number.MIN_SAFE_INTEGER),
    axes.map(() => -1),
  );
}

/**
 * Below this many input channels the kernel gradient goes through im2col: the per-tap GEMMs would
 * then have a handful of columns each, and the one-hot im2col is small (measured on the UNet's
 * shapes: 16 channels and up favour the taps, 1–8 im2col).
 */
const TAP_GEMM_MIN_CHANNELS = 16;

/**
 * d(loss)/dW for Y = Conv(X, W) with `geo`, where X is [N, C, …], dY is [N, M, …] and W is
 * [M, C/g, …kernel]. Unit strides, group 1, a kernel of several taps and C ≥ 16 go through
 * `weightByTaps`, everything else through `weightByIm2col`.
 */
export function backpropWeight(x: Value, dy: Value, geo: ConvGeometry): Value {
  const byTaps =
    geo.group === 1 && x.shape[1]! >= TAP_GEMM_MIN_CHANNELS && product(geo.kernel) > 1 && geo.strides.every((s) => s === 1) && windowsMatch(x, dy, geo);
  return byTaps ? weightByTaps(x, dy, geo) : weightByIm2col(x, dy, geo);
}

/** Whether a unit-stride window of padded X, tap by tap, covers exactly dY's extent. */
function windowsMatch(x: Value, dy: Value, geo: ConvGeometry): boolean {
  const n = geo.kernel.length;
  return dy.shape.slice(2).every((d, i) => x.shape[i + 2]! + geo.pads[i]! + geo.pads[i + n]! - geo.dilations[i]! * (geo.kernel[i]! - 1) === d);
}

/**
 * dW one kernel tap at a time (unit strides): tap k reads, at every output position, the element
 * of padded X at that position + k·dilation, so its gradient is dYᵀ [M, N·positions] times that
 * window of Xᵀ [C, N, …], one GEMM over every sample and position at once; the taps are then
 * stacked into [M, C, …kernel]. No im2col is materialised whole: each window is one copy of X's
 * size, consumed by its GEMM, and the tap whose window is X itself (the centre of an odd kernel
 * with "same" padding) reads Xᵀ directly. When dY is as large as X and has fewer channels, dY is
 * shifted back instead (the same products), which halves the windows of the UNet's decoder convs.
 * Each window is a depthwise Conv with a one-hot kernel (`shifted`), which onnxruntime spreads
 * over its threads, where a Pad + Slice per window runs on one thread, and twice as slowly while
 * the other thread spins (measured on the UNet small step at batch 64, 2 threads: the Slices took
 * 80 ms, 40 ms with spinning off). Whole step, DDPM + AdamW, batch 64, vs im2col: 299 → 261 ms
 * with 2 threads, 493 → 436 ms with 1, before windowing dY (→ 253 and 412 ms).
 */
function weightByTaps(x: Value, dy: Value, geo: ConvGeometry): Value {
  const [batch, channels] = [x.shape[0]!, x.shape[1]!];
  const outChannels = dy.shape[1]!;
  const spatialY = dy.shape.slice(2);
  const rest = spatialY.map((_, i) => i + 2);
  const positions = batch * product(spatialY);
  const xt = transpose(x, [1, 0, ...rest]);
  const dyt = transpose(dy, [1, 0, ...rest]);
  transposedDy.set(dy, dyt);
  const windowDy = outChannels < channels && spatialY.every((d, i) => d === x.shape[i + 2]);
  const rows = (v: Value): Value => reshape(v, [v.shape[0]!, positions]);
  const perTap: Value[] = [];
  for (let t = 0; t < product(geo.kernel); t++) {
    // Tap t's multi-index, row-major over the kernel.
    const tap = geo.kernel.map((_, i) => Math.floor(t / product(geo.kernel.slice(i + 1))) % geo.kernel[i]!);
    // Tap t reads X shifted by tap·dilation − pad begin along each axis (zero outside X).
    const shifts = tap.map((k, i) => k * geo.dilations[i]! - geo.pads[i]!);
    const centre = shifts.every((s) => s === 0) && spatialY.every((d, i) => d === x.shape[i + 2]);
    const [dyWindow, xWindow] = centre
      ? [dyt, xt]
      : windowDy
        ? [
            shifted(
              dyt,
              shifts.map((s) => -s),
              spatialY,
            ),
            xt,
          ]
        : [dyt, shifted(xt, shifts, spatialY, { tap, geo })];
    // dYᵀ·windowᵀ as one Gemm: [M, C] per tap, stacked along rows (fewer nodes than MatMul + Transpose).
    perTap.push(gemm(rows(dyWindow), rows(xWindow), undefined, { transB: true }));
  }
  const stacked = reshape(concat(perTap, 0), [perTap.length, outChannels, channels]);
  return reshape(transpose(stacked, [1, 2, 0]), [outChannels, channels, ...geo.kernel]);
}

/**
 * v [C, N, …] shifted by `shifts` and sized to `extent`, zeros outside (v'[y] = v[y + shift]), as
 * a depthwise Conv over the N samples with a one-hot kernel: the smallest one that reaches the
 * shift (|shift| + 1 taps per axis, which onnxruntime's im2col expands least) when its end pads come
 * out ≥ 0, else `fallback`: the forward's own kernel, pads and dilations with the one at `tap`.
 */
function shifted(v: Value, shifts: readonly number[], extent: readonly number[], fallback?: { tap: readonly number[]; geo: ConvGeometry }): Value {
  const channels = v.shape[1]!;
  const size = v.shape.slice(2);
  const endPads = shifts.map((s, i) => extent[i]! - size[i]! + Math.max(s, 0));
  let kernel: readonly number[];
  let hot: readonly number[];
  let attributes: Record<string, number | readonly number[]>;
  if (endPads.every((p) => p >= 0)) {
    kernel = shifts.map((s) => Math.abs(s) + 1);
    hot = shifts.map((s) => Math.max(s, 0));
    attributes = { pads: [...shifts.map((s) => Math.max(-s, 0)), ...endPads], group: channels };
  } else if (fallback !== undefined) {
    kernel = fallback.geo.kernel;
    hot = fallback.tap;
    attributes = { pads: fallback.geo.pads, dilations: fallback.geo.dilations, group: channels };
  } else {
    throw new Error(autodiffMessages.cannotShift(shifts, size, extent));
  }
  const taps = product(kernel);
  const at = hot.reduce((a, k, i) => a * kernel[i]! + k, 0);
  const oneHot = new Float64Array(channels * taps);
  for (let c = 0; c < channels; c++) oneHot[c * taps + at] = 1;
  const shape = [channels, 1, ...kernel];
  const weights = v.graph.constant(v.dtype === "float64" ? tensor("float64", shape, oneHot) : tensor("float32", shape, Float32Array.from(oneHot)));
  return v.graph.op("Conv", [v, weights], attributes);
}

/**
 * dW by im2col: one depthwise Conv of X with a one-hot kernel (same strides, pads, dilations: patch
 * channel c·K + k holds tap k of channel c at every output position), then per group a batched
 * MatMul dY·patchesᵀ summed over the batch. onnxruntime fuses the transpose into the MatMul; measured
 * here 5–7× faster than the transposed-Conv formulation (kernel = dY), whose 3×3-output GEMM it runs
 * poorly.
 */
function weightByIm2col(x: Value, dy: Value, geo: ConvGeometry): Value {
  const g = geo.group;
  const [batch, channels] = [x.shape[0]!, x.shape[1]!];
  const outChannels = dy.shape[1]!;
  const spatialY = dy.shape.slice(2);
  const taps = product(geo.kernel);
  const positions = product(spatialY);

  const oneHot = new Float32Array(channels * taps * taps);
  for (let c = 0; c < channels; c++) for (let k = 0; k < taps; k++) oneHot[(c * taps + k) * taps + k] = 1;
  const shape = [channels * taps, 1, ...geo.kernel];
  const kernel = x.graph.constant(x.dtype === "float64" ? tensor("float64", shape, Float64Array.from(oneHot)) : tensor("float32", shape, oneHot));
  let patches = x.graph.op("Conv", [x, kernel], { strides: geo.strides, dilations: geo.dilations, pads: geo.pads, group: channels });
  if (patches.shape.slice(2).some((d, i) => d !== spatialY[i])) {
    // ConvTranspose's weight gradient reads dY as the input; output_padding ≥ stride leaves extra rows.
    const axes = spatialY.map((_, i) => i + 2);
    patches = slice(
      patches,
      axes,
      axes.map(() => 0),
      spatialY,
    );
  }
  const cols = reshape(patches, [batch, g, (channels / g) * taps, positions]);
  const rows = reshape(dy, [batch, g, outChannels / g, positions]);
  const perSample = matmul(rows, transpose(cols, [0, 1, 3, 2]));
  return reshape(reduceSum(perSample, [0], false), [outChannels, channels / g, ...geo.kernel]);
}

/** Sums a [N, C, …] gradient to the per-channel bias shape [C]. */
export function backpropBias(dy: Value): Value {
  // dYᵀ [M, N, …] from the kernel gradient, when it built one: a sum over its contiguous rows.
  const rows = transposedDy.get(dy);
  if (rows !== undefined) return reduceSum(reshape(rows, [rows.shape[0]!, product(rows.shape.slice(1))]), [1], false);
  const axes = dy.shape.map((_, i) => i).filter((i) => i !== 1);
  return dy.graph.op("ReduceSum", [dy, dy.graph.int64s(axes)], { keepdims: 0 });
}

/** dYᵀ built by `weightByTaps`, by dY (for `backpropBias`, which Conv's gradient calls next). */
const transposedDy = new WeakMap<Value, Value>();

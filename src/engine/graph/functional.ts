/**
 * Thin typed wrappers over GraphBuilder.op for the ops layers and gradients use most. Each takes
 * Values and adds nodes to their graph; shapes are static, so reshape targets and axes are numbers.
 */
import { graphMessages as msg } from "./messages.js";
import type { DType } from "../../tensor.js";
import type { Shape, Value } from "./value.js";

type FloatDType = "float32" | "float64";

/** A scalar constant with `like`'s (float or int) dtype. */
export function scalarLike(like: Value, value: number): Value {
  const dtype = like.dtype;
  if (dtype === "float32" || dtype === "float64" || dtype === "int32" || dtype === "int64") return like.graph.scalar(value, dtype);
  throw new TypeError(msg.scalarLikeDtype(dtype));
}

export const add = (a: Value, b: Value): Value => a.graph.op("Add", [a, b]);
export const sub = (a: Value, b: Value): Value => a.graph.op("Sub", [a, b]);
export const mul = (a: Value, b: Value): Value => a.graph.op("Mul", [a, b]);
export const div = (a: Value, b: Value): Value => a.graph.op("Div", [a, b]);
export const neg = (a: Value): Value => a.graph.op("Neg", [a]);
export const exp = (a: Value): Value => a.graph.op("Exp", [a]);
export const log = (a: Value): Value => a.graph.op("Log", [a]);
export const sqrt = (a: Value): Value => a.graph.op("Sqrt", [a]);
export const relu = (a: Value): Value => a.graph.op("Relu", [a]);
export const sigmoid = (a: Value): Value => a.graph.op("Sigmoid", [a]);
export const tanh = (a: Value): Value => a.graph.op("Tanh", [a]);
export const matmul = (a: Value, b: Value): Value => a.graph.op("MatMul", [a, b]);
export const where = (c: Value, a: Value, b: Value): Value => a.graph.op("Where", [c, a, b]);
export const greater = (a: Value, b: Value): Value => a.graph.op("Greater", [a, b]);
export const cast = (a: Value, to: DType): Value => (a.dtype === to ? a : a.graph.op("Cast", [a], { to }));

/** a * s for a plain number s. */
export const scale = (a: Value, s: number): Value => mul(a, scalarLike(a, s));
/** a + s for a plain number s. */
export const shift = (a: Value, s: number): Value => add(a, scalarLike(a, s));
export const square = (a: Value): Value => mul(a, a);

export function reshape(x: Value, shape: Shape): Value {
  if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  return x.graph.op("Reshape", [x, x.graph.int64s(shape)]);
}

export function transpose(x: Value, perm: readonly number[]): Value {
  if (perm.every((p, i) => p === i)) return x;
  return x.graph.op("Transpose", [x], { perm });
}

export function reduceSum(x: Value, axes: readonly number[], keepdims = true): Value {
  if (axes.length === 0) return x;
  return x.graph.op("ReduceSum", [x, x.graph.int64s(axes)], { keepdims: keepdims ? 1 : 0 });
}

export function reduceMean(x: Value, axes: readonly number[], keepdims = true): Value {
  if (axes.length === 0) return x;
  return x.graph.op("ReduceMean", [x, x.graph.int64s(axes)], { keepdims: keepdims ? 1 : 0 });
}

/** Sum of every element, as a scalar. */
export function sumAll(x: Value): Value {
  return reduceSum(
    x,
    x.shape.map((_, i) => i),
    false,
  );
}

export function meanAll(x: Value): Value {
  return reduceMean(
    x,
    x.shape.map((_, i) => i),
    false,
  );
}

export function expand(x: Value, shape: Shape): Value {
  if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  return x.graph.op("Expand", [x, x.graph.int64s(shape)]);
}

export function unsqueeze(x: Value, axes: readonly number[]): Value {
  return x.graph.op("Unsqueeze", [x, x.graph.int64s(axes)]);
}

export function squeeze(x: Value, axes: readonly number[]): Value {
  return x.graph.op("Squeeze", [x, x.graph.int64s(axes)]);
}

export function concat(xs: readonly Value[], axis: number): Value {
  if (xs.length === 1) return xs[0]!;
  return xs[0]!.graph.op("Concat", xs, { axis });
}

export function slice(x: Value, axes: readonly number[], starts: readonly number[], ends: readonly number[], steps?: readonly number[]): Value {
  const g = x.graph;
  return g.op("Slice", [x, g.int64s(starts), g.int64s(ends), g.int64s(axes), steps === undefined ? undefined : g.int64s(steps)]);
}

/** A zero tensor of the given shape, built from a scalar so big zeros cost no initializer bytes. */
export function zeros(like: Value, shape: Shape = like.shape, dtype: FloatDType = like.dtype as FloatDType): Value {
  const z = like.graph.scalar(0, dtype);
  return shape.length === 0 ? z : expand(z, shape);
}

// ---- Element-wise helpers, activations and losses (used by layers and by the op gradients) ----

export const abs = (a: Value): Value => a.graph.op("Abs", [a]);
export const sign = (a: Value): Value => a.graph.op("Sign", [a]);
export const erf = (a: Value): Value => a.graph.op("Erf", [a]);
export const reciprocal = (a: Value): Value => a.graph.op("Reciprocal", [a]);
/** a ** p, p a Value (constant or not) broadcasting against a. */
export const pow = (a: Value, p: Value): Value => a.graph.op("Pow", [a, p]);
export const equal = (a: Value, b: Value): Value => a.graph.op("Equal", [a, b]);
export const not = (a: Value): Value => a.graph.op("Not", [a]);
export const leakyRelu = (a: Value, alpha = 0.01): Value => a.graph.op("LeakyRelu", [a], { alpha });
export const softmax = (a: Value, axis = -1): Value => a.graph.op("Softmax", [a], { axis });
export const logSoftmax = (a: Value, axis = -1): Value => a.graph.op("LogSoftmax", [a], { axis });

/**
 * GELU as the standard op (default domain, opset 20+; onnxruntime 1.30 runs it at opset 21 for
 * float32, and for float64 only with approximate "tanh": its CPU provider has no double Erf).
 */
export const gelu = (a: Value, approximate: "none" | "tanh" = "none"): Value => a.graph.op("Gelu", [a], { approximate });

/** SiLU (swish): x · sigmoid(x), differentiated as that composite. */
export const silu = (a: Value): Value => mul(a, sigmoid(a));

/** Mean squared error: mean((pred − target)²) over every element of the broadcast difference. */
export function mseLoss(pred: Value, target: Value): Value {
  return meanAll(square(sub(pred, target)));
}

/** Gathers along `axis` (embeddings: axis 0 with int64 ids). */
export const gather = (data: Value, indices: Value, axis = 0): Value => data.graph.op("Gather", [data, indices], { axis });

/** Splits along `axis` into pieces of the given sizes (all outputs). */
export function split(x: Value, sizes: readonly number[], axis: number): Value[] {
  if (sizes.length === 1) return [x];
  return x.graph.opMulti("Split", [x, x.graph.int64s(sizes)], { axis });
}

/** Pads with zeros: `pads` = [begin of each axis…, end of each axis…] as ONNX orders them. */
export function pad(x: Value, pads: readonly number[]): Value {
  if (pads.every((p) => p === 0)) return x;
  return x.graph.op("Pad", [x, x.graph.int64s(pads)]);
}

// ---- Convolution, pooling, resizing, normalisation, Gemm (part B; each has a gradient) ----

export interface ConvOptions {
  readonly strides?: readonly number[];
  /** [begin of each spatial axis…, end of each spatial axis…] as ONNX orders them. */
  readonly pads?: readonly number[];
  readonly dilations?: readonly number[];
  readonly group?: number;
}

function windowAttributes(options: ConvOptions): Record<string, number | readonly number[]> {
  const attrs: Record<string, number | readonly number[]> = {};
  if (options.strides !== undefined) attrs["strides"] = options.strides;
  if (options.pads !== undefined) attrs["pads"] = options.pads;
  if (options.dilations !== undefined) attrs["dilations"] = options.dilations;
  if (options.group !== undefined && options.group !== 1) attrs["group"] = options.group;
  return attrs;
}

/**
 * Conv over X [N, C, …spatial] with W [M, C/group, …kernel] and an optional bias [M]
 * (conv2d when X is 4-D). onnxruntime's CPU provider runs it for float32 only.
 */
export function conv(x: Value, w: Value, bias?: Value, options: ConvOptions = {}): Value {
  return x.graph.op("Conv", bias === undefined ? [x, w] : [x, w, bias], windowAttributes(options));
}

/** ConvTranspose with W [C, M/group, …kernel]; float32 only in onnxruntime's CPU provider. */
export function convTranspose(x: Value, w: Value, bias?: Value, options: ConvOptions & { readonly outputPadding?: readonly number[] } = {}): Value {
  const attrs = windowAttributes(options);
  if (options.outputPadding !== undefined) attrs["output_padding"] = options.outputPadding;
  return x.graph.op("ConvTranspose", bias === undefined ? [x, w] : [x, w, bias], attrs);
}

export interface PoolOptions {
  readonly strides?: readonly number[];
  readonly pads?: readonly number[];
  readonly dilations?: readonly number[];
  readonly ceilMode?: boolean;
}

function poolAttributes(kernel: readonly number[], options: PoolOptions): Record<string, number | readonly number[]> {
  const attrs = windowAttributes(options);
  attrs["kernel_shape"] = kernel;
  if (options.ceilMode === true) attrs["ceil_mode"] = 1;
  return attrs;
}

/** AveragePool (float32 only in onnxruntime); padded taps are left out of the divisor unless countIncludePad. */
export function avgPool(x: Value, kernel: readonly number[], options: PoolOptions & { readonly countIncludePad?: boolean } = {}): Value {
  const attrs = poolAttributes(kernel, options);
  if (options.countIncludePad === true) attrs["count_include_pad"] = 1;
  return x.graph.op("AveragePool", [x], attrs);
}

/** MaxPool's values (the node also computes the Indices its gradient uses). */
export function maxPool(x: Value, kernel: readonly number[], options: PoolOptions = {}): Value {
  return x.graph.op("MaxPool", [x], poolAttributes(kernel, options));
}

/** Mean over the spatial axes, keeping them as size 1: [N, C, …] → [N, C, 1, …]. */
export const globalAvgPool = (x: Value): Value => x.graph.op("GlobalAveragePool", [x]);

/**
 * Nearest-neighbour upsampling of every spatial axis of [N, C, …spatial] by a whole factor: each
 * element repeated factor× along each axis (PyTorch's nn.Upsample(mode="nearest")). Built as Resize
 * with asymmetric coordinates and floor rounding, which onnxruntime ran fastest here ([64,32,14,14]:
 * 1.3 ms, vs 3.3 ms with its default half_pixel coordinates and 5.9 ms as Reshape→Expand→Reshape).
 * float32 only (onnxruntime has no float64 Resize).
 */
export function upsampleNearest(x: Value, factor: number): Value {
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError(msg.upsampleFactor(factor));
  if (x.shape.length < 3) throw new RangeError(msg.upsampleRank(x.shape.length));
  if (factor === 1) return x;
  const scales = x.shape.map((_, i) => (i < 2 ? 1 : factor));
  const s = x.graph.constant({ dtype: "float32", shape: [scales.length], data: Float32Array.from(scales) });
  return x.graph.op("Resize", [x, undefined, s], { mode: "nearest", coordinate_transformation_mode: "asymmetric", nearest_mode: "floor" });
}

export const upsampleNearest2x = (x: Value): Value => upsampleNearest(x, 2);

/**
 * LayerNormalization over the axes from `axis` on, scale (and bias) broadcast to those axes.
 * onnxruntime computes it in float32 even for float64 inputs (stash_type 1; a double stash has no kernel).
 */
export function layerNorm(x: Value, scale: Value, bias?: Value, options: { readonly axis?: number; readonly epsilon?: number } = {}): Value {
  return x.graph.opMulti("LayerNormalization", bias === undefined ? [x, scale] : [x, scale, bias], {
    axis: options.axis ?? -1,
    epsilon: options.epsilon ?? 1e-5,
  })[0]!;
}

/**
 * GroupNormalization-21 of [N, C, …] over `groups` channel groups, with per-channel scale and bias
 * [C]. Checked against a direct computation on onnxruntime 1.30's CPU provider (float32 and float64).
 * float64 inputs are normalised in float64 (stash_type 11; the default stash computes in float32).
 * Measured alternative: LayerNormalization over [N, G, C/G·spatial] + the per-channel affine ran
 * 2.5× faster forward with 2 threads on a quiet machine ([64, 32, 28, 28], 8 groups), but 1.5×
 * slower single-threaded and no faster under load, so the standard op stays.
 */
export function groupNorm(x: Value, scale: Value, bias: Value, groups: number, epsilon = 1e-5): Value {
  const attrs: Record<string, number> = { num_groups: groups, epsilon };
  if (x.dtype === "float64") attrs["stash_type"] = 11;
  return x.graph.op("GroupNormalization", [x, scale, bias], attrs);
}

/** Y = alpha·op(A)·op(B) + beta·C for 2-D A and B, op a transpose when asked; C broadcasts to Y. */
export function gemm(
  a: Value,
  b: Value,
  c?: Value,
  options: { readonly alpha?: number; readonly beta?: number; readonly transA?: boolean; readonly transB?: boolean } = {},
): Value {
  const attrs: Record<string, number> = {};
  if (options.alpha !== undefined) attrs["alpha"] = options.alpha;
  if (options.beta !== undefined) attrs["beta"] = options.beta;
  if (options.transA === true) attrs["transA"] = 1;
  if (options.transB === true) attrs["transB"] = 1;
  return a.graph.op("Gemm", c === undefined ? [a, b] : [a, b, c], attrs);
}

// ---- More element-wise ops and activations, each with a gradient (autodiff/gradients/<Op>_grad.ts) ----
// onnxruntime 1.30's CPU provider runs Sin, Cos, Round, Floor, Ceil and Clip for float32 and float64,
// every other op below for float32 only.

/** a < b element-wise (bool), broadcasting. */
export const less = (a: Value, b: Value): Value => a.graph.op("Less", [a, b]);
/** Logical and of two bool values, broadcasting. */
export const and = (a: Value, b: Value): Value => a.graph.op("And", [a, b]);
/** Logical or of two bool values, broadcasting. */
export const or = (a: Value, b: Value): Value => a.graph.op("Or", [a, b]);

/** sin(a). */
export const sin = (a: Value): Value => a.graph.op("Sin", [a]);
/** cos(a). */
export const cos = (a: Value): Value => a.graph.op("Cos", [a]);
/** tan(a). */
export const tan = (a: Value): Value => a.graph.op("Tan", [a]);
/** arcsin(a), for a in [−1, 1]. */
export const asin = (a: Value): Value => a.graph.op("Asin", [a]);
/** arccos(a), for a in [−1, 1]. */
export const acos = (a: Value): Value => a.graph.op("Acos", [a]);
/** arctan(a). */
export const atan = (a: Value): Value => a.graph.op("Atan", [a]);
/** sinh(a). */
export const sinh = (a: Value): Value => a.graph.op("Sinh", [a]);
/** cosh(a). */
export const cosh = (a: Value): Value => a.graph.op("Cosh", [a]);
/** arsinh(a). */
export const asinh = (a: Value): Value => a.graph.op("Asinh", [a]);
/** arcosh(a), for a ≥ 1. */
export const acosh = (a: Value): Value => a.graph.op("Acosh", [a]);
/** artanh(a), for a in (−1, 1). */
export const atanh = (a: Value): Value => a.graph.op("Atanh", [a]);

/** Rounds half to even (gradient zero: piecewise constant). */
export const round = (a: Value): Value => a.graph.op("Round", [a]);
/** Rounds down (gradient zero: piecewise constant). */
export const floor = (a: Value): Value => a.graph.op("Floor", [a]);
/** Rounds up (gradient zero: piecewise constant). */
export const ceil = (a: Value): Value => a.graph.op("Ceil", [a]);

/** Softplus: log(1 + eᵃ). */
export const softplus = (a: Value): Value => a.graph.op("Softplus", [a]);
/** Softsign: a / (1 + |a|). */
export const softsign = (a: Value): Value => a.graph.op("Softsign", [a]);
/** ELU: a for a > 0, else α·(eᵃ − 1). */
export const elu = (a: Value, alpha = 1): Value => a.graph.op("Elu", [a], { alpha });
/** SELU with the self-normalising constants (ONNX's defaults α ≈ 1.6733, γ ≈ 1.0507): γ·elu(a, α). */
export const selu = (a: Value): Value => a.graph.op("Selu", [a]);
/** CELU: max(0, a) + min(0, α·(e^(a/α) − 1)). */
export const celu = (a: Value, alpha = 1): Value => a.graph.op("Celu", [a], { alpha });
/** Hard sigmoid: max(0, min(1, α·a + β)), ONNX's defaults α = 0.2, β = 0.5 (PyTorch's is α = 1/6). */
export const hardSigmoid = (a: Value, alpha = 0.2, beta = 0.5): Value => a.graph.op("HardSigmoid", [a], { alpha, beta });
/** Hard swish: a · max(0, min(1, a/6 + ½)) (MobileNetV3). */
export const hardSwish = (a: Value): Value => a.graph.op("HardSwish", [a]);
/** Mish: a · tanh(softplus(a)). */
export const mish = (a: Value): Value => a.graph.op("Mish", [a]);
/** Thresholded ReLU: a where a > α, else 0. */
export const thresholdedRelu = (a: Value, alpha = 1): Value => a.graph.op("ThresholdedRelu", [a], { alpha });
/** PReLU: a for a ≥ 0, else slope·a, with a learned `slope` that broadcasts to a's shape (e.g. [C, 1, 1] per channel). */
export const prelu = (a: Value, slope: Value): Value => a.graph.op("PRelu", [a, slope]);
/** Swish: the same function and graph as `silu`, under its other name. */
export const swish = silu;

/** Clamps a to [min, max]; either bound may be left out. The gradient passes where min < a < max. */
export function clip(a: Value, min?: number, max?: number): Value {
  for (const [name, bound] of [
    ["min", min],
    ["max", max],
  ] as const) {
    if (bound !== undefined && (typeof bound !== "number" || Number.isNaN(bound))) throw new RangeError(msg.clipBound(name, bound));
  }
  if (min !== undefined && max !== undefined && min > max) throw new RangeError(msg.clipBounds(min, max));
  const lo = min === undefined ? undefined : scalarLike(a, min);
  const hi = max === undefined ? undefined : scalarLike(a, max);
  return a.graph.op("Clip", hi === undefined ? (lo === undefined ? [a] : [a, lo]) : [a, lo, hi]);
}

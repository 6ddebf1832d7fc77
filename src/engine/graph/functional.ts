/**
 * Thin typed wrappers over GraphBuilder.op for the ops layers and gradients use most. Each takes
 * Values and adds nodes to their graph; shapes are static, so reshape targets and axes are numbers.
 */
import type { DType } from "../../tensor.js";
import type { Shape, Value } from "./value.js";

type FloatDType = "float32" | "float64";

/** A scalar constant with `like`'s (float or int) dtype. */
export function scalarLike(like: Value, value: number): Value {
  const dtype = like.dtype;
  if (dtype === "float32" || dtype === "float64" || dtype === "int32" || dtype === "int64") return like.graph.scalar(value, dtype);
  throw new TypeError(`scalarLike: unsupported dtype ${dtype}.`);
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
  return reduceSum(x, x.shape.map((_, i) => i), false);
}

export function meanAll(x: Value): Value {
  return reduceMean(x, x.shape.map((_, i) => i), false);
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

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

/** Ops that move or select elements: reshapes, transposes, concatenation, slicing, padding. */
import { graphMessages } from "../messages.js";
import { opMessages as msg } from "./messages.js";
import { registerOp } from "../op-schema.js";
import { normalizeAxis, product } from "../shape.js";

registerOp({
  opType: "Reshape",
  attributes: { allowzero: "int" },
  infer: (ctx) => {
    const x = ctx.input(0);
    const target = ctx.constantInts(1).map((d, i) => (d === 0 && !ctx.attr("allowzero", 0) ? (x.shape[i] ?? ctx.fail(msg.reshapeZero())) : d));
    const known = product(target.filter((d) => d !== -1));
    const holes = target.filter((d) => d === -1).length;
    if (holes > 1) ctx.fail(msg.reshapeHoles());
    const total = product(x.shape);
    const shape = target.map((d) => (d === -1 ? total / known : d));
    if (product(shape) !== total || !shape.every(Number.isInteger)) ctx.fail(msg.reshapeSize(x.shape, target));
    return [{ dtype: x.dtype, shape }];
  },
});

registerOp({
  opType: "Flatten",
  attributes: { axis: "int" },
  infer: (ctx) => {
    const x = ctx.input(0);
    const axis = ctx.attr("axis", 1);
    const a = axis < 0 ? axis + x.shape.length : axis;
    return [{ dtype: x.dtype, shape: [product(x.shape.slice(0, a)), product(x.shape.slice(a))] }];
  },
});

registerOp({
  opType: "Transpose",
  attributes: { perm: "ints" },
  infer: (ctx) => {
    const x = ctx.input(0);
    const perm = ctx.attr<readonly number[]>(
      "perm",
      x.shape.map((_, i) => x.shape.length - 1 - i),
    );
    if (perm.length !== x.shape.length || new Set(perm).size !== perm.length) ctx.fail(msg.notPermutation(perm));
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p] ?? ctx.fail(msg.permAxis(p))) }];
  },
});

registerOp({
  opType: "Concat",
  attributes: { axis: "int" },
  infer: (ctx) => {
    const first = ctx.input(0);
    const axis = normalizeAxis(ctx.requiredAttr<number>("axis"), first.shape.length);
    const shape = [...first.shape];
    shape[axis] = 0;
    ctx.inputs.forEach((_, i) => {
      const v = ctx.input(i);
      if (v.shape.length !== first.shape.length || v.shape.some((d, j) => j !== axis && d !== first.shape[j])) {
        ctx.fail(msg.concatShapes(i, v.shape, first.shape, axis));
      }
      shape[axis]! += v.shape[axis]!;
    });
    return [{ dtype: first.dtype, shape }];
  },
});

registerOp({
  opType: "Split",
  attributes: { axis: "int", num_outputs: "int" },
  infer: (ctx) => {
    const x = ctx.input(0);
    const axis = normalizeAxis(ctx.attr("axis", 0), x.shape.length);
    const size = x.shape[axis]!;
    let parts: number[];
    if (ctx.inputs[1] !== undefined) parts = ctx.constantInts(1);
    else {
      const n = ctx.requiredAttr<number>("num_outputs");
      const chunk = Math.ceil(size / n);
      parts = Array.from({ length: n }, (_, i) => Math.min(chunk, size - chunk * i));
    }
    if (parts.reduce((a, b) => a + b, 0) !== size) ctx.fail(msg.splitSizes(parts, size));
    return parts.map((p) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? p : d)) }));
  },
});

/** One sliced axis: the first index taken, the step, and how many elements are taken. */
export interface SliceAxis {
  readonly axis: number;
  readonly start: number;
  readonly step: number;
  readonly count: number;
}

/**
 * Resolves a Slice node's constant starts/ends/axes/steps as the ONNX spec does (negative indices
 * count from the end; starts clamp to [0, dim] stepping forward and [0, dim − 1] stepping back, ends
 * to [0, dim] and [−1, dim − 1]). Shared by the schema and the Slice gradient so they cannot disagree.
 */
export function sliceAxes(
  shape: readonly number[],
  starts: readonly number[],
  ends: readonly number[],
  axes?: readonly number[],
  steps?: readonly number[],
): SliceAxis[] {
  return (axes ?? starts.map((_, i) => i)).map((a0, i) => {
    const axis = normalizeAxis(a0, shape.length);
    const dim = shape[axis]!;
    const step = steps?.[i] ?? 1;
    if (step === 0) throw new RangeError(graphMessages.sliceStepZero(axis));
    const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + dim : v, lo), hi);
    const start = step > 0 ? clamp(starts[i]!, 0, dim) : clamp(starts[i]!, 0, dim - 1);
    const end = step > 0 ? clamp(ends[i]!, 0, dim) : clamp(ends[i]!, -1, dim - 1);
    return { axis, start, step, count: Math.max(0, Math.ceil((end - start) / step)) };
  });
}

registerOp({
  opType: "Slice",
  attributes: {},
  infer: (ctx) => {
    const x = ctx.input(0);
    const starts = ctx.constantInts(1);
    const ends = ctx.constantInts(2);
    const axes = ctx.inputs[3] !== undefined ? ctx.constantInts(3) : undefined;
    const steps = ctx.inputs[4] !== undefined ? ctx.constantInts(4) : undefined;
    if (ends.length !== starts.length || (axes !== undefined && axes.length !== starts.length) || (steps !== undefined && steps.length !== starts.length)) {
      ctx.fail(msg.sliceLengths());
    }
    if (steps?.includes(0)) ctx.fail(msg.sliceStepZero());
    const shape = [...x.shape];
    for (const s of sliceAxes(x.shape, starts, ends, axes, steps)) shape[s.axis] = s.count;
    return [{ dtype: x.dtype, shape }];
  },
});

registerOp({
  opType: "Squeeze",
  attributes: {},
  infer: (ctx) => {
    const x = ctx.input(0);
    const axes =
      ctx.inputs[1] !== undefined ? ctx.constantInts(1).map((a) => normalizeAxis(a, x.shape.length)) : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
    for (const a of axes) if (x.shape[a] !== 1) ctx.fail(msg.squeezeAxis(a, x.shape[a]));
    return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !axes.includes(i)) }];
  },
});

registerOp({
  opType: "Unsqueeze",
  attributes: {},
  infer: (ctx) => {
    const x = ctx.input(0);
    const rank = x.shape.length + ctx.constantInts(1).length;
    const axes = ctx.constantInts(1).map((a) => normalizeAxis(a, rank));
    const shape: number[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : x.shape[j++]!);
    return [{ dtype: x.dtype, shape }];
  },
});

registerOp({
  opType: "Expand",
  attributes: {},
  infer: (ctx) => {
    const x = ctx.input(0);
    const target = ctx.constantInts(1);
    const rank = Math.max(target.length, x.shape.length);
    const shape: number[] = [];
    for (let i = 0; i < rank; i++) {
      const a = x.shape[i - (rank - x.shape.length)] ?? 1;
      const b = target[i - (rank - target.length)] ?? 1;
      if (a !== b && a !== 1 && b !== 1) ctx.fail(msg.expandShape(x.shape, target));
      shape.push(a === 1 ? b : a);
    }
    return [{ dtype: x.dtype, shape }];
  },
});

registerOp({
  opType: "Tile",
  attributes: {},
  infer: (ctx) => {
    const x = ctx.input(0);
    const reps = ctx.constantInts(1);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => d * (reps[i] ?? ctx.fail(msg.repeatsRank()))) }];
  },
});

registerOp({
  opType: "Pad",
  attributes: { mode: "string" },
  infer: (ctx) => {
    const x = ctx.input(0);
    const pads = ctx.constantInts(1);
    const n = x.shape.length;
    const axes = ctx.inputs[3] !== undefined ? ctx.constantInts(3).map((a) => normalizeAxis(a, n)) : x.shape.map((_, i) => i);
    if (pads.length !== 2 * axes.length) ctx.fail(msg.padsLength(2 * axes.length));
    const shape = [...x.shape];
    axes.forEach((a, i) => {
      shape[a] = shape[a]! + pads[i]! + pads[i + axes.length]!;
    });
    return [{ dtype: x.dtype, shape }];
  },
});

registerOp({
  opType: "Shape",
  attributes: { start: "int", end: "int" },
  infer: (ctx) => [{ dtype: "int64", shape: [ctx.input(0).shape.length] }],
});

registerOp({
  opType: "ConstantOfShape",
  attributes: { value: "tensor" },
  infer: (ctx) => {
    const value = ctx.attributes["value"];
    const dtype = value !== undefined && typeof value === "object" && "dtype" in value ? value.dtype : "float32";
    return [{ dtype, shape: ctx.constantInts(0) }];
  },
});

/**
 * Checks autodiff gradients against central finite differences, running both through onnxruntime:
 * how every gradient in gradients/ was verified, and how a user verifies one they registered
 * (registerGradient) or gave a composite (defineCompositeGradient) before training with it.
 *
 *   await checkGradients({
 *     dtype: "float32",
 *     inputs: [{ name: "x", shape: [4, 5] }],
 *     build: (g, [x]) => g.op("Shrink", [x!], { lambd: 0.5 }),
 *   });
 *
 * The graph under test maps inputs to any floating output Y; the check differentiates the scalar
 * L = Σ Y ⊙ R for a random projection R (so every output element matters), builds ∂L/∂x with
 * `gradients()`, and compares each sampled element with (L(x + ε) − L(x − ε)) / 2ε.
 * An element passes when |analytic − numeric| ≤ atol + rtol · max(|analytic|, |numeric|); a NaN
 * on either side fails. On any failure it throws a GradientCheckError whose message names the
 * worst element (input, position, both values) and whose `result` holds every failing one.
 */
import { isNbresumeError } from "../../errors.js";
import { EngineErrorCode } from "../messages.js";
import type { DType, Tensor } from "../../tensor.js";
import { mul, sumAll } from "../graph/functional.js";
import { GraphBuilder } from "../graph/graph-builder.js";
import { serializeGraph } from "../graph/serialize.js";
import type { Value } from "../graph/value.js";
import type { CompiledGraph } from "../runtime/runtime.js";
import { compileGraph } from "../runtime/ort-runtime.js";
import { checkRandom } from "./check-random.js";
import { gradients } from "./gradients.js";
import { type CheckedElement, autodiffMessages } from "./messages.js";

type FloatDType = "float32" | "float64";

/** The name of the projection R fed to the check graph; no input may use it. */
const PROJECTION = "__projection";

export interface CheckedInput {
  readonly name: string;
  readonly shape: readonly number[];
  /** Defaults to the check's dtype. Non-float inputs (labels, indices) are never differentiated. */
  readonly dtype?: DType;
  /** Values (row-major, the typed array of `dtype`); random normal (×`scale`) by default. */
  readonly data?: Tensor["data"];
  readonly scale?: number;
  /** Set false for float inputs that are not differentiated (e.g. a mask). */
  readonly differentiable?: boolean;
}

export interface GradientCheck {
  readonly inputs: readonly CheckedInput[];
  /** Builds the op(s) under test from the inputs (graph inputs, in order); returns the output to check. */
  build(g: GraphBuilder, inputs: Value[]): Value;
  /** "float64" by default; onnxruntime runs many ops for float32 only. */
  readonly dtype?: FloatDType;
  /** Step of the central difference: 1e-6 for float64, 1e-2 for float32 by default. */
  readonly eps?: number;
  /** Relative tolerance: 1e-6 for float64, 2e-2 for float32 by default. */
  readonly rtol?: number;
  /** Absolute tolerance: 1e-8 for float64, 2e-3 for float32 by default. */
  readonly atol?: number;
  /** Elements sampled per input, with replacement (every element when the input has at most this many); 24 by default. */
  readonly samples?: number;
  /** Seed of the random inputs, projection and samples; 1234 by default. */
  readonly seed?: number;
}

/** One compared element. */
export interface GradientCheckElement extends CheckedElement {
  /** |analytic − numeric| − allowed: the element passes when this is ≤ 0 (Infinity when either is NaN). */
  readonly excess: number;
}

export interface GradientCheckResult {
  /** The element closest to failing (or the worst failing one). */
  readonly worst: GradientCheckElement;
  /** Elements compared, over all differentiated inputs. */
  readonly checked: number;
  /** Every element that failed, worst first (empty when the check passed). */
  readonly failures: readonly GradientCheckElement[];
}

/** Thrown by checkGradients when some element disagrees; the message is the readable report. */
export class GradientCheckError extends Error {
  override readonly name = "GradientCheckError";
  constructor(
    message: string,
    readonly result: GradientCheckResult,
  ) {
    super(message);
  }
}

function floatArray(dtype: FloatDType, n: number): Float32Array | Float64Array {
  return dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
}

function positionOf(index: number, shape: readonly number[]): number[] {
  const position = new Array<number>(shape.length).fill(0);
  let rest = index;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const d = shape[axis]!;
    position[axis] = rest % d;
    rest = Math.floor(rest / d);
  }
  return position;
}

function validate(check: GradientCheck, dtype: FloatDType): void {
  if (check.inputs.length === 0) throw new TypeError(autodiffMessages.badGradientCheck("give at least one input"));
  if (dtype !== "float32" && dtype !== "float64")
    throw new TypeError(autodiffMessages.badGradientCheck(`dtype must be "float32" or "float64", got ${String(dtype)}`));
  const names = new Set<string>();
  for (const input of check.inputs) {
    if (input.name === PROJECTION || names.has(input.name))
      throw new TypeError(autodiffMessages.badGradientCheck(`input name '${input.name}' is used twice or reserved`));
    names.add(input.name);
    const n = input.shape.reduce((a, b) => a * b, 1);
    if (input.data !== undefined && input.data.length !== n) {
      throw new RangeError(
        autodiffMessages.badGradientCheck(`input '${input.name}' has ${input.data.length} values for shape [${input.shape.join(", ")}] (${n} elements)`),
      );
    }
  }
  for (const [name, v] of [
    ["eps", check.eps],
    ["rtol", check.rtol],
    ["atol", check.atol],
  ] as const) {
    if (v !== undefined && !(v >= 0 && Number.isFinite(v)))
      throw new RangeError(autodiffMessages.badGradientCheck(`${name} must be a finite number ≥ 0, got ${v}`));
  }
}

async function compile(g: GraphBuilder, dtype: FloatDType): Promise<CompiledGraph> {
  try {
    return await compileGraph(serializeGraph(g), { threads: 1 });
  } catch (e) {
    if (dtype === "float64" && isNbresumeError(e, EngineErrorCode.COMPILE_FAILED))
      throw new Error(autodiffMessages.gradientCheckNoKernel(dtype, e.message), { cause: e });
    throw e;
  }
}

/**
 * Compares the gradients autodiff builds for `check.build`'s output with central finite differences
 * of the same graph in onnxruntime. Resolves to the comparison when every sampled element agrees;
 * rejects with a GradientCheckError naming the worst element otherwise.
 */
export async function checkGradients(check: GradientCheck): Promise<GradientCheckResult> {
  const dtype = check.dtype ?? "float64";
  validate(check, dtype);
  const eps = check.eps ?? (dtype === "float64" ? 1e-6 : 1e-2);
  const rtol = check.rtol ?? (dtype === "float64" ? 1e-6 : 2e-2);
  const atol = check.atol ?? (dtype === "float64" ? 1e-8 : 2e-3);
  const rng = checkRandom(check.seed ?? 1234);

  const g = new GraphBuilder("gradcheck");
  const values = check.inputs.map((i) => g.input(i.name, i.dtype ?? dtype, i.shape));
  const y = check.build(g, values);
  if (y?.graph !== g) throw new TypeError(autodiffMessages.badGradientCheck("build must return a value of the graph it is given"));
  if (y.dtype !== "float32" && y.dtype !== "float64")
    throw new TypeError(autodiffMessages.badGradientCheck(`build returned a ${y.dtype} value; only float32 and float64 outputs can be checked`));
  const proj = g.input(PROJECTION, y.dtype, y.shape);
  const loss = sumAll(mul(y, proj));
  const diff = check.inputs
    .map((input, k) => ({ input, value: values[k]! }))
    .filter(({ input, value }) => input.differentiable !== false && (value.dtype === "float32" || value.dtype === "float64"));
  if (diff.length === 0)
    throw new TypeError(autodiffMessages.badGradientCheck("no input is differentiated (give a float32 or float64 input not marked differentiable: false)"));
  const grads = gradients(
    loss,
    diff.map((d) => d.value),
  );
  g.output(loss, "loss");
  grads.forEach((gr, k) => g.output(gr, `grad_${diff[k]!.input.name}`));
  const graph = await compile(g, dtype);

  try {
    const feeds: Record<string, Tensor> = {};
    for (const [k, input] of check.inputs.entries()) {
      const v = values[k]!;
      let data = input.data;
      if (data === undefined) {
        const arr = floatArray(
          dtype,
          v.shape.reduce((a, b) => a * b, 1),
        );
        for (let i = 0; i < arr.length; i++) arr[i] = rng.normal() * (input.scale ?? 1);
        data = arr;
      }
      feeds[input.name] = { dtype: v.dtype, shape: v.shape, data };
    }
    const r = floatArray(
      y.dtype,
      y.shape.reduce((a, b) => a * b, 1),
    );
    for (let i = 0; i < r.length; i++) r[i] = rng.normal();
    feeds[PROJECTION] = { dtype: y.dtype, shape: y.shape, data: r };

    const base = await graph.run(feeds);
    let worst: GradientCheckElement | undefined;
    const failures: GradientCheckElement[] = [];
    let checked = 0;
    for (const { input, value } of diff) {
      const analytic = base[`grad_${input.name}`]!.data as Float32Array | Float64Array;
      // Perturbed in place and restored: the caller's array holds its own values again afterwards.
      const x = feeds[input.name]!.data as Float32Array | Float64Array;
      const count = x.length;
      const picks =
        count <= (check.samples ?? 24) ? [...Array(count).keys()] : Array.from({ length: check.samples ?? 24 }, () => Math.floor(rng.uniform() * count));
      for (const i of picks) {
        const keep = x[i]!;
        x[i] = keep + eps;
        const plus = Number((await graph.run(feeds, ["loss"]))["loss"]!.data[0]);
        x[i] = keep - eps;
        const minus = Number((await graph.run(feeds, ["loss"]))["loss"]!.data[0]);
        x[i] = keep;
        const numeric = (plus - minus) / (2 * eps);
        const a = analytic[i]!;
        const allowed = atol + rtol * Math.max(Math.abs(a), Math.abs(numeric));
        const gap = Math.abs(a - numeric) - allowed;
        const excess = Number.isNaN(gap) ? Infinity : gap;
        const element: GradientCheckElement = { input: input.name, index: i, position: positionOf(i, value.shape), analytic: a, numeric, allowed, excess };
        if (worst === undefined || excess > worst.excess) worst = element;
        if (excess > 0) failures.push(element);
        checked++;
      }
    }
    if (worst === undefined) throw new RangeError(autodiffMessages.badGradientCheck("every differentiated input is empty: there is nothing to compare"));
    failures.sort((p, q) => q.excess - p.excess);
    const result: GradientCheckResult = { worst, checked, failures };
    if (failures.length > 0) throw new GradientCheckError(autodiffMessages.gradientCheckFailed(failures, checked, { dtype, eps, rtol, atol }), result);
    return result;
  } finally {
    await graph.release();
  }
}

/**
 * Checks autodiff gradients against central finite differences, running both through onnxruntime.
 *
 * The graph under test maps inputs to any floating output Y; the check differentiates the scalar
 * L = Σ Y ⊙ R for a random projection R (so every output element matters), builds ∂L/∂x with
 * `gradients()`, and compares each sampled element with (L(x + ε) − L(x − ε)) / 2ε.
 * Pass when |analytic − numeric| ≤ atol + rtol · max(|analytic|, |numeric|) for every sample.
 */
import { strict as assert } from "node:assert";
import { gradients } from "../../src/engine/autodiff/gradients.js";
import { mul, sumAll } from "../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../src/engine/graph/graph-builder.js";
import { serializeGraph } from "../../src/engine/graph/serialize.js";
import type { Value } from "../../src/engine/graph/value.js";
import { compileGraph } from "../../src/engine/runtime/ort-runtime.js";
import type { DType, Tensor } from "../../src/tensor.js";

type FloatDType = "float32" | "float64";

export interface CheckedInput {
  readonly name: string;
  readonly shape: readonly number[];
  /** Defaults to the check's dtype. Non-float inputs (labels, indices) are never differentiated. */
  readonly dtype?: DType;
  /** Values; random normal (×`scale`) by default. */
  readonly data?: Tensor["data"];
  readonly scale?: number;
  /** Set false for float inputs that are not differentiated (e.g. a mask). */
  readonly differentiable?: boolean;
}

export interface GradientCheck {
  readonly inputs: readonly CheckedInput[];
  /** Builds the op(s) under test; returns the output to check. */
  build(g: GraphBuilder, inputs: Value[]): Value;
  readonly dtype?: FloatDType;
  readonly eps?: number;
  readonly rtol?: number;
  readonly atol?: number;
  /** Elements sampled per input (all when the input is smaller). */
  readonly samples?: number;
  readonly seed?: number;
}

export interface GradientCheckResult {
  readonly worst: { input: string; index: number; analytic: number; numeric: number };
  readonly checked: number;
}

/** A small deterministic PRNG for test data (mulberry32). */
export function testRandom(seed: number): { uniform(): number; normal(): number } {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()),
  };
}

function floatArray(dtype: FloatDType, n: number): Float32Array | Float64Array {
  return dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
}

export async function checkGradients(check: GradientCheck): Promise<GradientCheckResult> {
  const dtype = check.dtype ?? "float64";
  const eps = check.eps ?? (dtype === "float64" ? 1e-6 : 1e-2);
  const rtol = check.rtol ?? (dtype === "float64" ? 1e-6 : 2e-2);
  const atol = check.atol ?? (dtype === "float64" ? 1e-8 : 2e-3);
  const rng = testRandom(check.seed ?? 1234);

  const g = new GraphBuilder("gradcheck");
  const values = check.inputs.map((i) => g.input(i.name, i.dtype ?? dtype, i.shape));
  const y = check.build(g, values);
  const proj = g.input("__projection", y.dtype, y.shape);
  const loss = sumAll(mul(y, proj));
  const diff = check.inputs.map((input, k) => ({ input, value: values[k]! }))
    .filter(({ input, value }) => input.differentiable !== false && (value.dtype === "float32" || value.dtype === "float64"));
  const grads = gradients(loss, diff.map((d) => d.value));
  g.output(loss, "loss");
  grads.forEach((gr, k) => g.output(gr, `grad_${diff[k]!.input.name}`));
  const graph = await compileGraph(serializeGraph(g), { threads: 1 });

  try {
    const feeds: Record<string, Tensor> = {};
    for (const [k, input] of check.inputs.entries()) {
      const v = values[k]!;
      let data = input.data;
      if (data === undefined) {
        const arr = floatArray(dtype, v.shape.reduce((a, b) => a * b, 1));
        for (let i = 0; i < arr.length; i++) arr[i] = rng.normal() * (input.scale ?? 1);
        data = arr;
      }
      feeds[input.name] = { dtype: v.dtype, shape: v.shape, data } as Tensor;
    }
    const r = floatArray(y.dtype as FloatDType, y.shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < r.length; i++) r[i] = rng.normal();
    feeds["__projection"] = { dtype: y.dtype, shape: y.shape, data: r } as Tensor;

    const base = await graph.run(feeds);
    let worst = { input: "", index: -1, analytic: 0, numeric: 0, excess: -Infinity };
    let checked = 0;
    for (const { input } of diff) {
      const analytic = base[`grad_${input.name}`]!.data as Float32Array | Float64Array;
      const x = feeds[input.name]!.data as Float32Array | Float64Array;
      const count = x.length;
      const picks = count <= (check.samples ?? 24) ? [...Array(count).keys()]
        : Array.from({ length: check.samples ?? 24 }, () => Math.floor(rng.uniform() * count));
      for (const i of picks) {
        const keep = x[i]!;
        x[i] = keep + eps;
        const plus = Number((await graph.run(feeds, ["loss"]))["loss"]!.data[0]);
        x[i] = keep - eps;
        const minus = Number((await graph.run(feeds, ["loss"]))["loss"]!.data[0]);
        x[i] = keep;
        const numeric = (plus - minus) / (2 * eps);
        const a = analytic[i]!;
        const excess = Math.abs(a - numeric) - (atol + rtol * Math.max(Math.abs(a), Math.abs(numeric)));
        if (excess > worst.excess) worst = { input: input.name, index: i, analytic: a, numeric, excess };
        checked++;
      }
    }
    assert.ok(worst.excess <= 0,
      `gradient mismatch for '${worst.input}'[${worst.index}]: analytic ${worst.analytic}, numeric ${worst.numeric} (rtol ${rtol}, atol ${atol})`);
    return { worst, checked };
  } finally {
    await graph.release();
  }
}

import { strict as assert } from "node:assert";
import { registeredGradients } from "../../../src/engine/autodiff/gradient-registry.js";
import { gradients } from "../../../src/engine/autodiff/gradients.js";
import {
  acos,
  acosh,
  asin,
  asinh,
  atan,
  atanh,
  ceil,
  celu,
  clip,
  cos,
  cosh,
  elu,
  floor,
  hardSigmoid,
  hardSwish,
  mish,
  mul,
  prelu,
  round,
  selu,
  sign,
  silu,
  sin,
  sinh,
  softplus,
  softsign,
  sumAll,
  swish,
  tan,
  thresholdedRelu,
} from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { graphMessages } from "../../../src/engine/graph/messages.js";
import { serializeGraph } from "../../../src/engine/graph/serialize.js";
import type { Value } from "../../../src/engine/graph/value.js";
import { compileGraph } from "../../../src/engine/runtime/ort-runtime.js";
import { tensor, type Tensor } from "../../../src/tensor.js";
import { checkGradients, testRandom } from "../../support/gradient-check.js";

/** Every op this file checks; each must have a registered gradient. */
const OPS = [
  "Sin",
  "Cos",
  "Tan",
  "Asin",
  "Acos",
  "Atan",
  "Sinh",
  "Cosh",
  "Asinh",
  "Acosh",
  "Atanh",
  "Softplus",
  "Softsign",
  "Elu",
  "Selu",
  "Celu",
  "HardSigmoid",
  "HardSwish",
  "Mish",
  "ThresholdedRelu",
  "PRelu",
  "Clip",
  "Round",
  "Floor",
  "Ceil",
  "Sign",
];

/**
 * n values drawn uniformly from [lo, hi), each at least `margin` away from every kink, so that
 * x ± eps (1e-2 for float32) stays on one side of it.
 */
function awayFrom(
  kinks: readonly number[],
  n: number,
  lo: number,
  hi: number,
  seed: number,
  dtype: "float32" | "float64" = "float32",
  margin = 0.1,
): Float32Array | Float64Array {
  const r = testRandom(seed);
  const out = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    do v = lo + (hi - lo) * r.uniform();
    while (kinks.some((k) => Math.abs(v - k) < margin));
    out[i] = v;
  }
  return out;
}

/** Float32 check of a one-input op (onnxruntime has no double kernel: eps 1e-2, rtol 2e-2, atol 2e-3). */
async function check32(op: (x: Value) => Value, data: Float32Array | Float64Array): Promise<void> {
  await checkGradients({ dtype: "float32", inputs: [{ name: "x", shape: [4, data.length / 4], data }], build: (_g, [x]) => op(x!), samples: 1e9 });
}

/** Float64 check of a one-input op (rtol 1e-6). */
async function check64(op: (x: Value) => Value, data: Float64Array | Float32Array): Promise<void> {
  await checkGradients({ inputs: [{ name: "x", shape: [4, data.length / 4], data }], build: (_g, [x]) => op(x!), samples: 1e9 });
}

/** Compiles `g`, runs it once with `feeds`, releases it. */
async function runOnce(g: GraphBuilder, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const compiled = await compileGraph(serializeGraph(g), { threads: 1 });
  try {
    return await compiled.run(feeds);
  } finally {
    await compiled.release();
  }
}

describe("gradients of the trigonometric functions, the smooth activations, Clip and the piecewise-constant ops", () => {
  it("registers a gradient for each of these ops", () => {
    const registered = new Set(registeredGradients());
    assert.deepEqual(
      OPS.filter((op) => !registered.has(op)),
      [],
    );
  });

  describe("trigonometric and hyperbolic functions (central differences)", () => {
    it("Sin and Cos (float64: onnxruntime has double kernels; rtol 1e-6)", async () => {
      const data = awayFrom([], 20, -4, 4, 1, "float64");
      await check64(sin, data);
      await check64(cos, data);
    });

    it("Sin and Cos (float32)", async () => {
      const data = awayFrom([], 20, -4, 4, 2);
      await check32(sin, data);
      await check32(cos, data);
    });

    it("Tan on (−1, 1), Atan, Sinh, Cosh and Asinh (float32 only in onnxruntime)", async () => {
      await check32(tan, awayFrom([], 16, -1, 1, 3));
      const wide = awayFrom([], 16, -2.5, 2.5, 4);
      for (const op of [atan, sinh, cosh, asinh]) await check32(op, wide);
    });

    it("Asin, Acos and Atanh inside (−0.8, 0.8), Acosh on (1.3, 3) (float32)", async () => {
      const inside = awayFrom([], 16, -0.8, 0.8, 5);
      for (const op of [asin, acos, atanh]) await check32(op, inside);
      await check32(acosh, awayFrom([], 16, 1.3, 3, 6));
    });
  });

  describe("activations (float32: onnxruntime has no double kernel for any of them)", () => {
    it("Softplus, Softsign and Mish", async () => {
      const data = awayFrom([], 20, -4, 4, 7);
      for (const op of [softplus, softsign, mish]) await check32(op, data);
    });

    it("Elu and Celu with the default α and α = 0.5, Selu with its constants (inputs ≥ 0.1 from the kink at 0)", async () => {
      const data = awayFrom([0], 20, -3, 3, 8);
      await check32((x) => elu(x), data);
      await check32((x) => elu(x, 0.5), data);
      await check32((x) => celu(x), data);
      await check32((x) => celu(x, 0.5), data);
      await check32(selu, data);
    });

    it("HardSigmoid with ONNX's defaults (kinks at ±2.5) and with α = 0.5, β = 0.3 (kinks at −0.6 and 1.4)", async () => {
      await check32((x) => hardSigmoid(x), awayFrom([-2.5, 2.5], 24, -4, 4, 9));
      await check32((x) => hardSigmoid(x, 0.5, 0.3), awayFrom([-0.6, 1.4], 24, -2, 3, 10));
    });

    it("HardSwish on both flat parts and the curved middle (inputs ≥ 0.1 from ±3)", async () => {
      await check32(hardSwish, awayFrom([-3, 3], 24, -5, 5, 11));
    });

    it("ThresholdedRelu with α = 1 and α = −0.5 (inputs ≥ 0.1 from α)", async () => {
      await check32((x) => thresholdedRelu(x), awayFrom([1], 20, -2, 3, 12));
      await check32((x) => thresholdedRelu(x, -0.5), awayFrom([-0.5], 20, -2, 2, 13));
    });

    it("PRelu: gradients to x and to a per-channel slope that broadcasts ([3, 1] against [2, 3, 4]) or not", async () => {
      const x = awayFrom([0], 24, -2, 2, 14);
      await checkGradients({
        dtype: "float32",
        samples: 1e9,
        inputs: [
          { name: "x", shape: [2, 3, 4], data: x },
          { name: "slope", shape: [3, 1], data: Float32Array.of(0.25, -0.5, 1.5) },
        ],
        build: (_g, [a, s]) => prelu(a!, s!),
      });
      await checkGradients({
        dtype: "float32",
        samples: 1e9,
        inputs: [
          { name: "x", shape: [2, 3, 4], data: x },
          { name: "slope", shape: [2, 3, 4], scale: 0.5 },
        ],
        build: (_g, [a, s]) => prelu(a!, s!),
      });
    });

    it("swish is silu: the same graph, with the same gradient (float64, rtol 1e-6)", async () => {
      assert.equal(swish, silu);
      await check64(swish, awayFrom([], 12, -4, 4, 15, "float64"));
    });
  });

  describe("Clip (float64: onnxruntime has a double kernel)", () => {
    it("passes dy where min < x < max, with both bounds, only a minimum or only a maximum", async () => {
      const data = awayFrom([-0.5, 0.8], 24, -2, 2, 16, "float64");
      await check64((x) => clip(x, -0.5, 0.8), data);
      await check64((x) => clip(x, -0.5), data);
      await check64((x) => clip(x, undefined, 0.8), data);
    });

    it("gives bounds fed as inputs the dy of the elements each one clipped", async () => {
      const x = awayFrom([-0.5, 0.8], 24, -2, 2, 17, "float64");
      await checkGradients({
        samples: 1e9,
        inputs: [
          { name: "x", shape: [4, 6], data: x },
          { name: "lo", shape: [], data: Float64Array.of(-0.5) },
          { name: "hi", shape: [1], data: Float64Array.of(0.8) },
        ],
        build: (g, [a, lo, hi]) => g.op("Clip", [a!, lo!, hi!]),
      });
      await checkGradients({
        samples: 1e9,
        inputs: [
          { name: "x", shape: [4, 6], data: x },
          { name: "hi", shape: [], data: Float64Array.of(0.8) },
        ],
        build: (g, [a, hi]) => g.op("Clip", [a!, undefined, hi!]),
      });
    });

    it("gives all of dy to max when min > max (onnxruntime then returns max everywhere)", async () => {
      const x = awayFrom([0.5, -0.5], 12, -2, 2, 18, "float64");
      await checkGradients({
        samples: 1e9,
        inputs: [
          { name: "x", shape: [3, 4], data: x },
          { name: "lo", shape: [], data: Float64Array.of(0.5) },
          { name: "hi", shape: [], data: Float64Array.of(-0.5) },
        ],
        build: (g, [a, lo, hi]) => g.op("Clip", [a!, lo!, hi!]),
      });
    });

    it("refuses a bound that is not a scalar of x's dtype, and numbers that are not bounds", () => {
      const g = new GraphBuilder();
      const x = g.input("x", "float32", [3]);
      assert.throws(() => g.op("Clip", [x, g.input("lo", "float32", [2])]), /Clip: min must be a scalar, got shape \[2\]/);
      assert.throws(() => g.op("Clip", [x, undefined, g.scalar(1, "float64")]), /Clip: max is float64, expected float32 like x/);
      assert.throws(() => clip(x, 1, -1), { name: "RangeError", message: graphMessages.clipBounds(1, -1) });
      assert.throws(() => clip(x, Number.NaN), RangeError);
    });
  });

  describe("Round, Floor, Ceil and Sign: zero gradients, registered on purpose", () => {
    it("match central differences away from their jumps (float64, rtol 1e-6)", async () => {
      // Round jumps at the halves, Floor and Ceil at the integers, Sign at 0.
      const data = awayFrom([-2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5], 20, -2.7, 2.7, 19, "float64");
      for (const op of [round, floor, ceil, sign]) await check64(op, data);
    });

    it("return zeros for any dy, while other paths through the same input still get their gradient", async () => {
      const g = new GraphBuilder();
      const x = g.input("x", "float64", [5]);
      const dy = g.input("dy", "float64", [5]);
      const y = [round, floor, ceil, sign].map((op) => op(x)).reduce((a, b) => g.op("Add", [a, b]));
      const [only] = gradients(y, [x], { seed: dy });
      const [mixed] = gradients(sumAll(mul(y, x)), [x]);
      g.output(only!, "only");
      g.output(mixed!, "mixed");
      const xs = Float64Array.of(-1.7, -0.2, 0.3, 1.2, 2.6);
      const r = await runOnce(g, { x: tensor("float64", [5], xs), dy: tensor("float64", [5], Float64Array.of(1, 2, 3, 4, 5)) });
      assert.deepEqual(
        Array.from(r["only"]!.data as Float64Array, (v) => v + 0),
        [0, 0, 0, 0, 0],
      );
      // d/dx Σ y·x with y piecewise constant is y itself.
      const expected = Array.from(xs, (v) => Math.round(v) + Math.floor(v) + Math.ceil(v) + Math.sign(v));
      assert.deepEqual(Array.from(r["mixed"]!.data as Float64Array), expected);
    });
  });

  it("each wrapper computes the formula it documents, with ONNX's defaults", async () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float32", [8]);
    const xs = [-3.5, -2, -0.7, -0.1, 0.2, 0.9, 1.6, 4];
    const sigma = (v: number): number => 1 / (1 + Math.exp(-v));
    const softplusOf = (v: number): number => Math.log1p(Math.exp(v));
    const cases: [string, Value, (v: number) => number][] = [
      ["softplus", softplus(x), softplusOf],
      ["softsign", softsign(x), (v) => v / (1 + Math.abs(v))],
      ["elu", elu(x, 0.7), (v) => (v > 0 ? v : 0.7 * Math.expm1(v))],
      ["selu", selu(x), (v) => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * Math.expm1(v))],
      ["celu", celu(x, 2), (v) => Math.max(0, v) + Math.min(0, 2 * Math.expm1(v / 2))],
      ["hardSigmoid", hardSigmoid(x), (v) => Math.max(0, Math.min(1, 0.2 * v + 0.5))],
      ["hardSigmoidCustom", hardSigmoid(x, 0.5, 0.3), (v) => Math.max(0, Math.min(1, 0.5 * v + 0.3))],
      ["hardSwish", hardSwish(x), (v) => v * Math.max(0, Math.min(1, v / 6 + 0.5))],
      ["mish", mish(x), (v) => v * Math.tanh(softplusOf(v))],
      ["thresholdedRelu", thresholdedRelu(x, 0.5), (v) => (v > 0.5 ? v : 0)],
      ["clip", clip(x, -1, 1.5), (v) => Math.min(1.5, Math.max(-1, v))],
      ["swish", swish(x), (v) => v * sigma(v)],
      ["tan", tan(x), Math.tan],
      ["atan", atan(x), Math.atan],
    ];
    for (const [name, v] of cases) g.output(v, name);
    const r = await runOnce(g, { x: tensor("float32", [8], Float32Array.from(xs)) });
    for (const [name, , f] of cases) {
      const got = Array.from(r[name]!.data as Float32Array);
      xs.forEach((v, i) => assert.ok(Math.abs(got[i]! - f(v)) <= 1e-5 * Math.max(1, Math.abs(f(v))), `${name}(${v}) = ${got[i]}, expected ${f(v)}`));
    }
  });
});

import { strict as assert } from "node:assert";
import { gradients } from "../../../src/engine/autodiff/gradients.js";
import { autodiffMessages } from "../../../src/engine/autodiff/messages.js";
import { abs, cast, erf, exp, greater, log, mul, pow, reciprocal, sqrt, sumAll, where } from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { serializeGraph } from "../../../src/engine/graph/serialize.js";
import { compileGraph } from "../../../src/engine/runtime/ort-runtime.js";
import { tensor } from "../../../src/tensor.js";
import { checkGradients, testRandom } from "../../support/gradient-check.js";

/** Values in ±[lo, hi] (or [lo, hi] when `positive`), kept away from kinks and poles. */
function awayFromZero(n: number, seed: number, lo: number, hi: number, positive = false): Float64Array {
  const r = testRandom(seed);
  return Float64Array.from({ length: n }, () => (lo + (hi - lo) * r.uniform()) * (positive || r.uniform() < 0.5 ? 1 : -1));
}

describe("autodiff: element-wise ops (central differences, float64, rtol 1e-6 unless stated)", () => {
  it("Pow by constant scalar exponents 2, 3, 0.5, −1.5, 1 and 0", async () => {
    for (const p of [2, 3, 0.5, -1.5, 1, 0]) {
      await checkGradients({
        inputs: [{ name: "x", shape: [3, 4], data: awayFromZero(12, 7, 0.3, 2, true) }],
        build: (g, [x]) => pow(x!, g.scalar(p, "float64")),
      });
    }
  });

  it("Pow by an int64 exponent and by a broadcasting tensor exponent sums over the broadcast axes", async () => {
    await checkGradients({
      inputs: [{ name: "x", shape: [5] }],
      build: (g, [x]) => pow(x!, g.scalar(3, "int64")),
    });
    await checkGradients({
      inputs: [{ name: "x", shape: [3, 1], data: awayFromZero(3, 8, 0.3, 2, true) }],
      build: (g, [x]) => pow(x!, g.constant(tensor("float64", [4], Float64Array.from([0.5, 2, 3, -1])))),
    });
  });

  it("Pow by an exponent fed at run time but not differentiated", async () => {
    await checkGradients({
      inputs: [
        { name: "x", shape: [2, 3], data: awayFromZero(6, 9, 0.3, 2, true) },
        { name: "p", shape: [3], data: Float64Array.from([1.5, -0.5, 2.5]), differentiable: false },
      ],
      build: (_g, [x, p]) => pow(x!, p!),
    });
  });

  it("Pow refuses, naming the node and the exponent, when the exponent needs a gradient", () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float64", [3]);
    const p = g.input("p", "float64", [3]);
    const y = pow(x, p);
    assert.throws(() => gradients(sumAll(y), [x, p]), { message: autodiffMessages.exponentNeedsGradient(y.producer!.id, "p") });
  });

  it("Sqrt, Exp, Log, Reciprocal on positive inputs", async () => {
    await checkGradients({
      inputs: [{ name: "x", shape: [2, 5], data: awayFromZero(10, 11, 0.2, 3, true) }],
      build: (_g, [x]) => mul(mul(sqrt(x!), exp(x!)), mul(log(x!), reciprocal(x!))),
    });
  });

  it("Abs and Reciprocal on inputs of both signs (away from 0)", async () => {
    await checkGradients({
      inputs: [{ name: "x", shape: [12], data: awayFromZero(12, 12, 0.2, 3) }],
      build: (_g, [x]) => mul(abs(x!), reciprocal(x!)),
    });
    await checkGradients({
      inputs: [{ name: "x", shape: [12], data: awayFromZero(12, 13, 0.2, 3) }],
      build: (_g, [x]) => abs(x!),
    });
  });

  it("Erf (float32: onnxruntime has no double Erf kernel; eps 1e-2, rtol 2e-2, atol 2e-3)", async () => {
    await checkGradients({
      dtype: "float32",
      inputs: [{ name: "x", shape: [3, 7] }],
      build: (_g, [x]) => erf(x!),
    });
  });

  it("Max and Min of three broadcasting inputs", async () => {
    await checkGradients({
      inputs: [
        { name: "a", shape: [2, 3, 4] },
        { name: "b", shape: [3, 1] },
        { name: "c", shape: [4] },
      ],
      build: (g, [a, b, c]) => g.op("Max", [a!, b!, c!]),
    });
    await checkGradients({
      inputs: [
        { name: "a", shape: [2, 3, 4] },
        { name: "b", shape: [3, 1] },
        { name: "c", shape: [4] },
      ],
      build: (g, [a, b, c]) => g.op("Min", [a!, b!, c!]),
    });
    await checkGradients({
      inputs: [{ name: "a", shape: [5] }],
      build: (g, [a]) => g.op("Max", [a!]),
    });
  });

  it("Max and Min split dy evenly between tied inputs", async () => {
    const g = new GraphBuilder();
    const a = g.input("a", "float64", [3]);
    const b = g.input("b", "float64", [3]);
    const c = g.input("c", "float64", [3]);
    const dyMax = g.constant(tensor("float64", [3], Float64Array.from([6, 6, 6])));
    const [da, db, dc] = gradients(g.op("Max", [a, b, c]), [a, b, c], { seed: dyMax });
    const [ma, mb] = gradients(g.op("Min", [a, b]), [a, b], { seed: dyMax });
    for (const [name, v] of Object.entries({ da, db, dc, ma, mb })) g.output(v!, name);
    const compiled = await compileGraph(serializeGraph(g), { threads: 1 });
    try {
      const r = await compiled.run({
        a: tensor("float64", [3], Float64Array.from([1, 2, 5])),
        b: tensor("float64", [3], Float64Array.from([1, 2, 0])),
        c: tensor("float64", [3], Float64Array.from([1, 0, 0])),
      });
      // Element 0: three-way tie; 1: a and b tie; 2: a alone is the max.
      assert.deepEqual(Array.from(r["da"]!.data as Float64Array), [2, 3, 6]);
      assert.deepEqual(Array.from(r["db"]!.data as Float64Array), [2, 3, 0]);
      assert.deepEqual(Array.from(r["dc"]!.data as Float64Array), [2, 0, 0]);
      assert.deepEqual(Array.from(r["ma"]!.data as Float64Array), [3, 3, 0]);
      assert.deepEqual(Array.from(r["mb"]!.data as Float64Array), [3, 3, 6]);
    } finally {
      await compiled.release();
    }
  });

  it("ReduceMax over some axes (keepdims on and off) and over all axes", async () => {
    await checkGradients({
      inputs: [{ name: "x", shape: [2, 3, 4] }],
      build: (g, [x]) => g.op("ReduceMax", [x!, g.int64s([1])], { keepdims: 1 }),
    });
    await checkGradients({
      inputs: [{ name: "x", shape: [2, 3, 4] }],
      build: (g, [x]) => g.op("ReduceMax", [x!, g.int64s([0, -1])], { keepdims: 0 }),
    });
    await checkGradients({
      inputs: [{ name: "x", shape: [2, 3] }],
      build: (g, [x]) => g.op("ReduceMax", [x!], { keepdims: 0 }),
    });
  });

  it("ReduceMax splits dy evenly between tied maxima", async () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float64", [2, 3]);
    const [dx] = gradients(g.op("ReduceMax", [x, g.int64s([1])], { keepdims: 0 }), [x], {
      seed: g.constant(tensor("float64", [2], Float64Array.from([4, 4]))),
    });
    g.output(dx!, "dx");
    const compiled = await compileGraph(serializeGraph(g), { threads: 1 });
    try {
      const r = await compiled.run({ x: tensor("float64", [2, 3], Float64Array.from([1, 3, 3, 7, 2, 1])) });
      assert.deepEqual(Array.from(r["dx"]!.data as Float64Array), [0, 2, 2, 4, 0, 0]);
    } finally {
      await compiled.release();
    }
  });

  it("Where: both branches (broadcasting) get gradients, the condition none", async () => {
    await checkGradients({
      inputs: [
        { name: "c", shape: [3, 1] },
        { name: "a", shape: [3, 4] },
        { name: "b", shape: [4] },
      ],
      // The condition comes from an input, yet it is bool: only a and b are differentiated (c gets 0).
      build: (g, [c, a, b]) => where(greater(c!, g.scalar(0, "float64")), a!, b!),
    });
  });

  it("Cast float32 → float64 → float32 passes gradients through (float32 check)", async () => {
    await checkGradients({
      dtype: "float32",
      inputs: [{ name: "x", shape: [2, 3] }],
      build: (_g, [x]) => cast(mul(exp(cast(x!, "float64")), cast(x!, "float64")), "float32"),
    });
  });

  it("Cast float64 → float32 → float64 passes gradients through (eps 1e-2, rtol 1e-3: float32 rounding)", async () => {
    await checkGradients({
      inputs: [{ name: "x", shape: [2, 3] }],
      eps: 1e-2,
      rtol: 1e-3,
      atol: 1e-4,
      build: (_g, [x]) => cast(mul(cast(x!, "float32"), cast(x!, "float32")), "float64"),
    });
  });

  it("a cast to an integer type stops the gradient (zero, no error)", async () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float32", [3]);
    const roundTrip = cast(cast(x, "int32"), "float32");
    const [dx] = gradients(sumAll(mul(roundTrip, x)), [x]);
    g.output(dx!, "dx");
    const compiled = await compileGraph(serializeGraph(g), { threads: 1 });
    try {
      const r = await compiled.run({ x: tensor("float32", [3], Float32Array.from([1.5, -2.25, 3])) });
      // d/dx of trunc(x)·x with trunc treated as constant: trunc(x).
      assert.deepEqual(Array.from(r["dx"]!.data as Float32Array), [1, -2, 3]);
    } finally {
      await compiled.release();
    }
  });
});

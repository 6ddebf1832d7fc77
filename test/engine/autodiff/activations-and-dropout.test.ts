import { strict as assert } from "node:assert";
import { gradients } from "../../../src/engine/autodiff/gradients.js";
import { autodiffMessages } from "../../../src/engine/autodiff/messages.js";
import { gelu, leakyRelu, mul, sigmoid, silu, sumAll, tanh } from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { serializeGraph } from "../../../src/engine/graph/serialize.js";
import type { Value } from "../../../src/engine/graph/value.js";
import { compileGraph } from "../../../src/engine/runtime/ort-runtime.js";
import { tensor, type Tensor } from "../../../src/tensor.js";
import { checkGradients, testRandom } from "../../support/gradient-check.js";

function normals(n: number, seed: number): Float64Array {
  const r = testRandom(seed);
  return Float64Array.from({ length: n }, () => r.normal());
}

const TRUE = tensor("bool", [], Uint8Array.from([1]));

/** Compiles `g`, runs it once with `feeds`, releases it. */
async function runOnce(g: GraphBuilder, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const compiled = await compileGraph(serializeGraph(g), { threads: 1 });
  try {
    return await compiled.run(feeds);
  } finally {
    await compiled.release();
  }
}

describe("autodiff: activations and Dropout (central differences)", () => {
  it("LeakyRelu with the default and a custom slope (float32: no double kernel; eps 1e-2, rtol 2e-2, atol 2e-3)", async () => {
    const r = testRandom(21);
    // Kept ≥ 0.1 away from the kink so x ± eps stays on one side.
    const data = Float32Array.from({ length: 24 }, () => (0.1 + 2 * r.uniform()) * (r.uniform() < 0.5 ? -1 : 1));
    await checkGradients({ dtype: "float32", inputs: [{ name: "x", shape: [4, 6], data }], build: (_g, [x]) => leakyRelu(x!) });
    await checkGradients({ dtype: "float32", inputs: [{ name: "x", shape: [4, 6], data }], build: (_g, [x]) => leakyRelu(x!, 0.3) });
  });

  it("Sigmoid and Tanh (float64, rtol 1e-6)", async () => {
    await checkGradients({ inputs: [{ name: "x", shape: [3, 5], scale: 2 }], build: (_g, [x]) => sigmoid(x!) });
    await checkGradients({ inputs: [{ name: "x", shape: [3, 5], scale: 2 }], build: (_g, [x]) => tanh(x!) });
  });

  it("Gelu, approximate 'none' (float32: onnxruntime has no double Erf; eps 1e-2, rtol 2e-2, atol 2e-3)", async () => {
    await checkGradients({ dtype: "float32", inputs: [{ name: "x", shape: [4, 5], scale: 2 }], build: (_g, [x]) => gelu(x!) });
  });

  it("Gelu, approximate 'tanh' (float64, rtol 1e-6, and float32)", async () => {
    await checkGradients({ inputs: [{ name: "x", shape: [4, 5], scale: 2 }], build: (_g, [x]) => gelu(x!, "tanh") });
    await checkGradients({ dtype: "float32", inputs: [{ name: "x", shape: [4, 5], scale: 2 }], build: (_g, [x]) => gelu(x!, "tanh") });
  });

  it("Gelu runs as the standard opset-20 op at opset 21 and matches x·Φ(x)", async () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float32", [5]);
    g.output(gelu(x), "exact");
    g.output(gelu(x, "tanh"), "approx");
    const xs = [-3, -1, 0, 0.5, 2];
    const r = await runOnce(g, { x: tensor("float32", [5], Float32Array.from(xs)) });
    // Φ via erf computed here with the Abramowitz–Stegun 7.1.26 formula (|error| < 1.5e-7).
    const erf = (v: number): number => {
      const t = 1 / (1 + 0.3275911 * Math.abs(v));
      const y = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-v * v);
      return v < 0 ? -y : y;
    };
    xs.forEach((v, i) => {
      assert.ok(Math.abs(Number(r["exact"]!.data[i]) - 0.5 * v * (1 + erf(v / Math.SQRT2))) < 1e-5);
      const t = Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3));
      assert.ok(Math.abs(Number(r["approx"]!.data[i]) - 0.5 * v * (1 + t)) < 1e-5);
    });
  });

  it("SiLU as the composite x·sigmoid(x) (float64, rtol 1e-6)", async () => {
    await checkGradients({ inputs: [{ name: "x", shape: [3, 4], scale: 2 }], build: (_g, [x]) => silu(x!) });
  });

  it("Dropout in training mode with ratio 0 is the identity, and so is its gradient (float64, rtol 1e-6)", async () => {
    await checkGradients({
      inputs: [{ name: "x", shape: [3, 4] }],
      build: (g, [x]) => mul(g.op("Dropout", [x!, g.scalar(0, "float64"), g.constant(TRUE)]), x!),
    });
  });

  it("Dropout in inference mode (training_mode omitted) passes dy through", async () => {
    await checkGradients({
      inputs: [{ name: "x", shape: [3, 4] }],
      build: (g, [x]) => g.op("Dropout", [x!, g.scalar(0.5, "float64")]),
    });
  });

  // The mask is random on every run, so finite differences cannot see it. Instead one run returns the
  // output, the mask and the gradient for a known dy, and each must follow from the same mask.
  it("Dropout in training mode scales dy by the very mask the forward pass used, over 1 − ratio", async () => {
    const n = 400;
    const g = new GraphBuilder();
    const x = g.input("x", "float64", [20, 20]);
    const dy = g.input("dy", "float64", [20, 20]);
    const [y, mask] = g.opMulti("Dropout", [x, g.scalar(0.5, "float64"), g.constant(TRUE)]);
    const [dx] = gradients(y!, [x], { seed: dy });
    g.output(y!, "y");
    g.output(mask!, "mask");
    g.output(dx!, "dx");
    const xs = normals(n, 3);
    const dys = normals(n, 4);
    const r = await runOnce(g, { x: tensor("float64", [20, 20], xs), dy: tensor("float64", [20, 20], dys) });
    const m = r["mask"]!.data as Uint8Array;
    const kept = m.reduce((a, b) => a + b, 0);
    assert.ok(kept > 120 && kept < 280, `about half the elements should be kept, got ${kept}/${n}`);
    // Scaling by 2 is exact in float64; `+ 0` folds −0 (a dropped negative) into 0.
    for (let i = 0; i < n; i++) {
      assert.equal((r["y"]!.data as Float64Array)[i]! + 0, m[i] ? xs[i]! * 2 : 0, `y[${i}]`);
      assert.equal((r["dx"]!.data as Float64Array)[i]! + 0, m[i] ? dys[i]! * 2 : 0, `dx[${i}]`);
    }
  });

  it("Dropout with ratio and training_mode fed at run time: identity when off, mask/(1 − ratio) when on", async () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float64", [10, 10]);
    const dy = g.input("dy", "float64", [10, 10]);
    const ratio = g.input("ratio", "float64", []);
    const training = g.input("training", "bool", []);
    const [y, mask] = g.opMulti("Dropout", [x, ratio, training]);
    const [dx] = gradients(y!, [x], { seed: dy });
    g.output(mask!, "mask");
    g.output(dx!, "dx");
    const xs = normals(100, 5);
    const dys = normals(100, 6);
    const feeds = (on: boolean): Record<string, Tensor> => ({
      x: tensor("float64", [10, 10], xs),
      dy: tensor("float64", [10, 10], dys),
      ratio: tensor("float64", [], Float64Array.from([0.25])),
      training: tensor("bool", [], Uint8Array.from([on ? 1 : 0])),
    });
    const off = await runOnce(g, feeds(false));
    assert.deepEqual(Array.from(off["dx"]!.data as Float64Array), Array.from(dys));
    const on = await runOnce(g, feeds(true));
    const m = on["mask"]!.data as Uint8Array;
    assert.ok(m.includes(0) && m.includes(1));
    (on["dx"]!.data as Float64Array).forEach((v, i) => assert.ok(Math.abs(v - (m[i] ? dys[i]! / 0.75 : 0)) < 1e-12));
  });

  it("Dropout in training mode without its mask output refuses to differentiate, saying how to fix it", () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float32", [4]);
    const [y] = g.opMulti("Dropout", [x, g.scalar(0.1), g.constant(TRUE)], {}, 1) as [Value];
    assert.throws(() => gradients(sumAll(y), [x]), {
      message: autodiffMessages.missingOutput(
        "Dropout",
        y.producer!.id,
        "mask",
        "In training mode create the node with both outputs (GraphBuilder.op/opMulti without an output count).",
      ),
    });
  });
});

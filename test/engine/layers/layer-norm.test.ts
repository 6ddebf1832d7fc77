import { strict as assert } from "node:assert";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { layerNorm } from "../../../src/engine/layers/layer-norm.js";
import { layerMessages as msg } from "../../../src/engine/layers/messages.js";
import { createParameterScope } from "../../../src/engine/nn/graph-parameter-scope.js";
import { bindAsInputs } from "../../../src/engine/nn/parameter-bindings.js";
import { testRandom } from "../../support/gradient-check.js";
import { checkLayerGradients, layerParameters } from "./layer-gradients.js";
import { runLayer } from "./run-layer.js";

/** Nonlinear, float32: step 1e-2, |a − n| ≤ 1e-3 + 1e-2·max(|a|, |n|), every element (see group-norm.test.ts). */
const NONLINEAR = { eps: 1e-2, rtol: 1e-2, atol: 1e-3, samples: 1e9 } as const;

describe("layers: layerNorm", () => {
  it("declares weight and bias of the normalised trailing shape", () => {
    const specs = layerParameters([{ name: "x", shape: [2, 3, 4] }], (s, [x]) => layerNorm(s.child("ln"), x!, { normalizedRank: 2 }));
    assert.deepEqual(
      specs.map((p) => [p.name, p.shape, p.init.kind]),
      [
        ["ln.weight", [3, 4], "ones"],
        ["ln.bias", [3, 4], "zeros"],
      ],
    );
  });

  it("normalises each row over the last axis, then scales and offsets element-wise (vs a direct computation, |err| ≤ 1e-4)", async () => {
    const r = testRandom(5);
    const [rows, d] = [3, 8];
    const x = { dtype: "float32" as const, shape: [rows, d], data: Float32Array.from({ length: rows * d }, () => 2 + 4 * r.normal()) };
    const gamma = Float32Array.from({ length: d }, (_, i) => 0.5 + i / 4);
    const beta = Float32Array.from({ length: d }, (_, i) => i - 3);
    const run = await runLayer([{ name: "x", tensor: x }], (s, [xv]) => layerNorm(s.child("ln"), xv!), {
      adjust: (p) => {
        p["ln.weight"]!.set(gamma);
        p["ln.bias"]!.set(beta);
      },
    });
    for (let i = 0; i < rows; i++) {
      const row = Array.from(x.data.subarray(i * d, (i + 1) * d));
      const mean = row.reduce((a, b) => a + b, 0) / d;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / d;
      row.forEach((v, k) => {
        const expected = ((v - mean) / Math.sqrt(variance + 1e-5)) * gamma[k]! + beta[k]!;
        assert.ok(Math.abs(run.output[i * d + k]! - expected) <= 1e-4);
      });
    }
  });

  it("has gradients for x, weight and bias over the last axis (float32, rtol 1e-2, atol 1e-3, all elements)", async () => {
    await checkLayerGradients({ ...NONLINEAR, inputs: [{ name: "x", shape: [3, 6] }], layer: (s, [x]) => layerNorm(s.child("ln"), x!) });
  });

  it("has gradients over the last two axes, and without affine (float32, rtol 1e-2, atol 1e-3, all elements)", async () => {
    await checkLayerGradients({
      ...NONLINEAR,
      inputs: [{ name: "x", shape: [2, 3, 4] }],
      layer: (s, [x]) => layerNorm(s.child("ln"), x!, { normalizedRank: 2 }),
    });
    const r = await checkLayerGradients({
      ...NONLINEAR,
      inputs: [{ name: "x", shape: [2, 5] }],
      layer: (s, [x]) => layerNorm(s.child("ln"), x!, { affine: false }),
    });
    assert.equal(r.parameters.length, 0);
  });

  it("rejects a normalizedRank beyond the input's rank", () => {
    const g = new GraphBuilder();
    const { scope } = createParameterScope(g, bindAsInputs(), { training: true });
    assert.throws(() => layerNorm(scope.child("ln"), g.input("x", "float32", [2, 3]), { normalizedRank: 3 }), {
      name: "RangeError",
      message: msg.badOption("layerNorm", "ln", "normalizedRank", "a whole number in [1, 2] (the input's rank)", 3),
    });
  });
});

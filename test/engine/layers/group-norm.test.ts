import { strict as assert } from "node:assert";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { groupNorm } from "../../../src/engine/layers/group-norm.js";
import { layerMessages as msg } from "../../../src/engine/layers/messages.js";
import { createParameterScope } from "../../../src/engine/nn/graph-parameter-scope.js";
import { bindAsInputs } from "../../../src/engine/nn/parameter-bindings.js";
import { testRandom } from "../../support/gradient-check.js";
import { checkLayerGradients, layerParameters } from "./layer-gradients.js";
import { runLayer } from "./run-layer.js";

/**
 * Normalisation is nonlinear; in float32 a step of 1e-2 balances truncation (~1e-5) against the
 * loss's rounding over a 2e-2 step (~1e-4): |a − n| ≤ 1e-3 + 1e-2·max(|a|, |n|), every element.
 */
const NONLINEAR = { eps: 1e-2, rtol: 1e-2, atol: 1e-3, samples: 1e9 } as const;

function randomImages(shape: number[], seed: number, offset = 0): { dtype: "float32"; shape: number[]; data: Float32Array } {
  const r = testRandom(seed);
  return { dtype: "float32", shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => offset + 3 * r.normal()) };
}

describe("layers: groupNorm", () => {
  it("declares weight [C] = 1 and bias [C] = 0, without weight decay", () => {
    const specs = layerParameters([{ name: "x", shape: [2, 6, 3, 3] }], (s, [x]) => groupNorm(s.child("gn"), x!, 3));
    assert.deepEqual(
      specs.map((p) => [p.name, p.shape, p.init.kind, p.decay]),
      [
        ["gn.weight", [6], "ones", false],
        ["gn.bias", [6], "zeros", false],
      ],
    );
  });

  it("normalises each sample's channel group over channels and space, then applies the per-channel affine (vs a direct computation, |err| ≤ 1e-4)", async () => {
    const [n, c, h, w, groups] = [2, 6, 3, 4, 3];
    const x = randomImages([n, c, h, w], 3, 5);
    const gamma = Float32Array.from([0.5, 1, 1.5, 2, -1, 0.25]);
    const beta = Float32Array.from([0, 1, -1, 2, 0.5, -0.5]);
    const run = await runLayer([{ name: "x", tensor: x }], (s, [xv]) => groupNorm(s.child("gn"), xv!, groups), {
      adjust: (p) => {
        p["gn.weight"]!.set(gamma);
        p["gn.bias"]!.set(beta);
      },
    });
    const per = (c / groups) * h * w;
    for (let ni = 0; ni < n; ni++)
      for (let gi = 0; gi < groups; gi++) {
        const start = (ni * c + gi * (c / groups)) * h * w;
        const slice = Array.from(x.data.subarray(start, start + per));
        const mean = slice.reduce((a, b) => a + b, 0) / per;
        const variance = slice.reduce((a, b) => a + (b - mean) ** 2, 0) / per;
        slice.forEach((v, k) => {
          const ch = gi * (c / groups) + Math.floor(k / (h * w));
          const expected = ((v - mean) / Math.sqrt(variance + 1e-5)) * gamma[ch]! + beta[ch]!;
          assert.ok(Math.abs(run.output[start + k]! - expected) <= 1e-4, `(${ni}, ${ch}) #${k}: ${run.output[start + k]} vs ${expected}`);
        });
      }
  });

  it("has gradients for x, weight and bias matching central differences (float32, rtol 1e-2, atol 1e-3, all elements)", async () => {
    await checkLayerGradients({ ...NONLINEAR, inputs: [{ name: "x", shape: [2, 4, 3, 3] }], layer: (s, [x]) => groupNorm(s.child("gn"), x!, 2) });
  });

  it("without affine declares no parameters and still differentiates x (float32, rtol 1e-2, atol 1e-3)", async () => {
    const r = await checkLayerGradients({
      ...NONLINEAR,
      inputs: [{ name: "x", shape: [2, 4, 5] }],
      layer: (s, [x]) => groupNorm(s.child("gn"), x!, 4, { affine: false, epsilon: 1e-3 }),
    });
    assert.equal(r.parameters.length, 0);
  });

  it("rejects channels not divisible by groups", () => {
    const g = new GraphBuilder();
    const { scope } = createParameterScope(g, bindAsInputs(), { training: true });
    assert.throws(() => groupNorm(scope.child("gn"), g.input("x", "float32", [1, 6, 2, 2]), 4), {
      name: "RangeError",
      message: msg.notDivisible("groupNorm", "gn", "channels", 6, "groups", 4),
    });
    assert.throws(() => groupNorm(scope.child("gn"), g.input("i", "int64", [1, 4]), 2), {
      name: "TypeError",
      message: msg.notFloat("groupNorm", "gn", "int64"),
    });
  });
});

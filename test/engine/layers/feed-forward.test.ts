import { strict as assert } from "node:assert";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import type { Value } from "../../../src/engine/graph/value.js";
import { feedForward, type FeedForwardActivation } from "../../../src/engine/layers/feed-forward.js";
import { layerMessages as msg } from "../../../src/engine/layers/messages.js";
import { createParameterScope } from "../../../src/engine/nn/graph-parameter-scope.js";
import { bindAsInputs } from "../../../src/engine/nn/parameter-bindings.js";
import { testRandom } from "../../support/gradient-check.js";
import { checkLayerGradients, layerParameters } from "./layer-gradients.js";
import { runLayer } from "./run-layer.js";

/** Nonlinear, float32: step 1e-2, |a − n| ≤ 2e-3 + 2e-2·max(|a|, |n|), every element of every input. */
const NONLINEAR = { eps: 1e-2, rtol: 2e-2, atol: 2e-3, samples: 1e9 } as const;

/** erf to ~1e-15 (Maclaurin series for |x| < 3, the asymptotic continued fraction beyond). */
function erf(x: number): number {
  const a = Math.abs(x);
  if (a >= 3) {
    let f = 0;
    for (let k = 60; k >= 1; k--) f = k / 2 / (a + f);
    return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f));
  }
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const ACTIVATION: Record<FeedForwardActivation, (x: number) => number> = {
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  "gelu-tanh": (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  relu: (x) => Math.max(0, x),
};

const mlp =
  (hidden: number, activation?: FeedForwardActivation) =>
  (s: Parameters<typeof feedForward>[0], [x]: readonly Value[]) =>
    feedForward(s.child("mlp"), x!, activation === undefined ? { hidden } : { hidden, activation });

describe("layers: feedForward", () => {
  it("declares fc1 [D, hidden] and fc2 [hidden, D] with biases, and keeps the input's shape", async () => {
    const specs = layerParameters([{ name: "x", shape: [2, 3, 4] }], mlp(16));
    assert.deepEqual(
      specs.map((p) => `${p.name} [${p.shape.join(", ")}]`),
      ["mlp.fc1.weight [4, 16]", "mlp.fc1.bias [16]", "mlp.fc2.weight [16, 4]", "mlp.fc2.bias [4]"],
    );
  });

  for (const activation of ["gelu", "gelu-tanh", "relu"] as const) {
    it(`applies Linear → ${activation} → Linear to every position (vs a direct float64 computation, |err| ≤ 1e-4)`, async () => {
      const [b, t, d, hidden] = [2, 3, 4, 6];
      const r = testRandom(8);
      const x = { dtype: "float32" as const, shape: [b, t, d], data: Float32Array.from({ length: b * t * d }, () => 2 * r.normal()) };
      const run = await runLayer([{ name: "x", tensor: x }], mlp(hidden, activation === "gelu" ? undefined : activation));
      assert.deepEqual(run.shape, [b, t, d]);
      const p = run.parameters;
      const [w1, b1, w2, b2] = [p["mlp.fc1.weight"]!, p["mlp.fc1.bias"]!, p["mlp.fc2.weight"]!, p["mlp.fc2.bias"]!];
      for (let row = 0; row < b * t; row++) {
        const h = Array.from({ length: hidden }, (_, j) => {
          let s = b1[j]!;
          for (let k = 0; k < d; k++) s += x.data[row * d + k]! * w1[k * hidden + j]!;
          return ACTIVATION[activation](s);
        });
        for (let c = 0; c < d; c++) {
          const expected = h.reduce((a, v, j) => a + v * w2[j * d + c]!, b2[c]!);
          assert.ok(Math.abs(run.output[row * d + c]! - expected) <= 1e-4, `row ${row}, column ${c}: ${run.output[row * d + c]} vs ${expected}`);
        }
      }
    });
  }

  it("has gradients for x and every parameter with GELU, exact and tanh (float32, rtol 2e-2, atol 2e-3, all elements)", async () => {
    await checkLayerGradients({ ...NONLINEAR, inputs: [{ name: "x", shape: [2, 3, 4] }], layer: mlp(8) });
    await checkLayerGradients({ ...NONLINEAR, inputs: [{ name: "x", shape: [5, 4] }], layer: mlp(6, "gelu-tanh") });
  });

  it("rejects an unknown activation and a hidden width that is not a positive integer", () => {
    const g = new GraphBuilder();
    const { scope } = createParameterScope(g, bindAsInputs(), { training: true });
    const x = g.input("x", "float32", [2, 4]);
    assert.throws(() => feedForward(scope.child("mlp"), x, { hidden: 8, activation: "swish" as FeedForwardActivation }), {
      name: "RangeError",
      message: msg.badOption("feedForward", "mlp", "activation", `one of "gelu", "gelu-tanh", "relu"`, "swish"),
    });
    assert.throws(() => feedForward(scope.child("mlp"), x, { hidden: 0 }), {
      name: "RangeError",
      message: msg.notPositiveInteger("feedForward", "mlp", "hidden", 0),
    });
  });
});

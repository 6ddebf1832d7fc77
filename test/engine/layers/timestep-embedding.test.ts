import { strict as assert } from "node:assert";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { sinusoidalEmbedding, sinusoidalFrequencies, timestepEmbedding } from "../../../src/engine/layers/timestep-embedding.js";
import { layerMessages as msg } from "../../../src/engine/layers/messages.js";
import { checkLayerGradients, layerParameters } from "./layer-gradients.js";
import { runLayer } from "./run-layer.js";

const NONLINEAR = { eps: 1e-2, rtol: 1e-2, atol: 1e-3, samples: 1e9 } as const;

describe("layers: sinusoidal timestep embedding", () => {
  it("has frequencies 10000^(−k/(dim/2)): 1 first, geometrically down", () => {
    const f = sinusoidalFrequencies(8);
    assert.equal(f.length, 4);
    [1, 0.1, 0.01, 0.001].forEach((v, k) => assert.ok(Math.abs(f[k]! - v) <= 1e-15 * v, `f_${k} = ${f[k]}`));
  });

  it("computes [sin(t·f_k)…, cos(t·f_k)…] in the graph from integer timesteps (vs Math.sin/cos in float64, |err| ≤ 1e-4 up to t = 999)", async () => {
    const dim = 16;
    const ts = [0, 1, 7, 250, 500, 999];
    const run = await runLayer([{ name: "t", tensor: { dtype: "int64", shape: [ts.length], data: BigInt64Array.from(ts, BigInt) } }], (_s, [t]) =>
      sinusoidalEmbedding(t!, dim),
    );
    assert.deepEqual(run.shape, [ts.length, dim]);
    let worst = 0;
    ts.forEach((t, n) => {
      for (let k = 0; k < dim / 2; k++) {
        const arg = t * Math.exp((-Math.log(10000) * k) / (dim / 2));
        worst = Math.max(worst, Math.abs(run.output[n * dim + k]! - Math.sin(arg)), Math.abs(run.output[n * dim + dim / 2 + k]! - Math.cos(arg)));
      }
    });
    // The float32 argument t·f carries up to ~6e-5 of rounding at t = 999.
    assert.ok(worst <= 1e-4, `worst error ${worst}`);
    // t = 0: sin 0 = 0, cos 0 = 1, exactly.
    assert.deepEqual(Array.from(run.output.subarray(0, dim)), [...new Array<number>(dim / 2).fill(0), ...new Array<number>(dim / 2).fill(1)]);
  });

  it("takes float32 timesteps too", async () => {
    const run = await runLayer([{ name: "t", tensor: { dtype: "float32", shape: [2], data: Float32Array.from([3, 0.5]) } }], (_s, [t]) =>
      sinusoidalEmbedding(t!, 4),
    );
    const expected = [Math.sin(3), Math.sin(0.03), Math.cos(3), Math.cos(0.03), Math.sin(0.5), Math.sin(0.005), Math.cos(0.5), Math.cos(0.005)];
    expected.forEach((v, i) => assert.ok(Math.abs(run.output[i]! - v) <= 1e-6));
  });

  it("rejects an odd dimension and timesteps that are not a vector", () => {
    assert.throws(() => sinusoidalFrequencies(5), { name: "RangeError", message: msg.oddEmbeddingDim(5) });
    const g = new GraphBuilder();
    assert.throws(() => sinusoidalEmbedding(g.input("t", "int64", [2, 1]), 4), { name: "RangeError", message: msg.badTimesteps([2, 1]) });
  });

  it("timestepEmbedding adds Linear → SiLU → Linear with gradients for every parameter (float32, rtol 1e-2, atol 1e-3, all elements)", async () => {
    const inputs = [{ name: "t", shape: [3], dtype: "int64" as const, data: BigInt64Array.from([0n, 17n, 999n]) }];
    const specs = layerParameters(inputs, (s, [t]) => timestepEmbedding(s.child("time"), t!, 8, 6));
    assert.deepEqual(
      specs.map((p) => [p.name, p.shape]),
      [
        ["time.fc1.weight", [8, 6]],
        ["time.fc1.bias", [6]],
        ["time.fc2.weight", [6, 6]],
        ["time.fc2.bias", [6]],
      ],
    );
    await checkLayerGradients({ ...NONLINEAR, inputs, layer: (s, [t]) => timestepEmbedding(s.child("time"), t!, 8, 6) });
  });
});

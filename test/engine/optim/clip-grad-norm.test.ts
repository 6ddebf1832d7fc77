import { strict as assert } from "node:assert";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { serializeGraph } from "../../../src/engine/graph/serialize.js";
import { clipGradNorm } from "../../../src/engine/optim/clip-grad-norm.js";
import { compileGraph } from "../../../src/engine/runtime/ort-runtime.js";
import type { Tensor } from "../../../src/tensor.js";
import { testRandom } from "../../support/gradient-check.js";
import { randomArray } from "./run-optimizer.js";

async function clip(grads: Float32Array[], maxNorm: number): Promise<{ grads: Float32Array[]; norm: number }> {
  const g = new GraphBuilder("clip");
  const inputs = grads.map((x, i) => g.input(`g${i}`, "float32", [x.length]));
  const out = clipGradNorm(inputs, maxNorm);
  out.grads.forEach((v, i) => g.output(v, `c${i}`));
  g.output(out.norm, "norm");
  const compiled = await compileGraph(serializeGraph(g));
  const feeds: Record<string, Tensor> = Object.fromEntries(grads.map((x, i) => [`g${i}`, { dtype: "float32", shape: [x.length], data: x }]));
  const r = await compiled.run(feeds);
  await compiled.release();
  return { grads: grads.map((_, i) => r[`c${i}`]!.data as Float32Array), norm: r["norm"]!.data[0] as number };
}

describe("global-norm gradient clipping (as torch.nn.utils.clip_grad_norm_, relative error ≤ 1e-6)", () => {
  const rng = testRandom(3);
  const grads = [randomArray(500, rng), randomArray(30, rng), randomArray(1, rng)];
  const norm = Math.sqrt(grads.reduce((s, x) => s + x.reduce((a, v) => a + v * v, 0), 0));

  it("scales every gradient by max/(norm + 1e-6) when the global norm exceeds max", async () => {
    const maxNorm = norm / 4;
    const out = await clip(grads, maxNorm);
    assert.ok(Math.abs(out.norm - norm) <= 1e-6 * norm, `norm ${out.norm} vs ${norm}`);
    const factor = maxNorm / (norm + 1e-6);
    grads.forEach((x, i) =>
      x.forEach((v, j) => {
        const want = v * factor;
        assert.ok(Math.abs(out.grads[i]![j]! - want) <= 1e-6 * Math.abs(want) + 1e-9, `grad ${i}[${j}]`);
      }),
    );
    const clippedNorm = Math.sqrt(out.grads.reduce((s, x) => s + x.reduce((a, v) => a + v * v, 0), 0));
    assert.ok(Math.abs(clippedNorm - maxNorm) <= 1e-5 * maxNorm);
  });

  it("leaves gradients unchanged when the global norm is below max", async () => {
    const out = await clip(grads, norm * 2);
    grads.forEach((x, i) => assert.deepEqual(out.grads[i], x));
  });

  it("rejects a non-positive max norm", () => {
    const g = new GraphBuilder("bad");
    assert.throws(() => clipGradNorm([g.input("x", "float32", [2])], 0), RangeError);
  });
});

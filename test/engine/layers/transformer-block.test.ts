import { strict as assert } from "node:assert";
import { add } from "../../../src/engine/graph/functional.js";
import type { Value } from "../../../src/engine/graph/value.js";
import { multiHeadSelfAttention } from "../../../src/engine/layers/attention.js";
import { feedForward } from "../../../src/engine/layers/feed-forward.js";
import { layerNorm } from "../../../src/engine/layers/layer-norm.js";
import { transformerBlock } from "../../../src/engine/layers/transformer-block.js";
import type { ParameterScope } from "../../../src/engine/nn/parameter-scope.js";
import { testRandom } from "../../support/gradient-check.js";
import { checkLayerGradients, layerParameters } from "./layer-gradients.js";
import { runLayer } from "./run-layer.js";

/** Nonlinear, float32: step 1e-2, |a − n| ≤ 2e-3 + 2e-2·max(|a|, |n|), every element of every input. */
const NONLINEAR = { eps: 1e-2, rtol: 2e-2, atol: 2e-3, samples: 1e9 } as const;

const block = (s: ParameterScope, [x]: readonly Value[]) => transformerBlock(s.child("block"), x!, { heads: 2, hidden: 16 });

function randomSequence(shape: [number, number, number], seed: number) {
  const r = testRandom(seed);
  return { dtype: "float32" as const, shape, data: Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, () => r.normal()) };
}

describe("layers: transformerBlock", () => {
  it("declares ln1, attn, ln2 and mlp, in that order", () => {
    const specs = layerParameters([{ name: "x", shape: [2, 3, 8] }], block);
    assert.deepEqual(
      specs.map((p) => `${p.name} [${p.shape.join(", ")}]`),
      [
        "block.ln1.weight [8]",
        "block.ln1.bias [8]",
        "block.attn.qkv.weight [8, 24]",
        "block.attn.qkv.bias [24]",
        "block.attn.out.weight [8, 8]",
        "block.attn.out.bias [8]",
        "block.ln2.weight [8]",
        "block.ln2.bias [8]",
        "block.mlp.fc1.weight [8, 16]",
        "block.mlp.fc1.bias [16]",
        "block.mlp.fc2.weight [16, 8]",
        "block.mlp.fc2.bias [8]",
      ],
    );
  });

  it("is pre-LayerNorm residual: x + attn(ln1(x)), then + mlp(ln2(·)) (bitwise, vs the layers composed by hand)", async () => {
    const x = randomSequence([2, 4, 8], 11);
    const byHand = (s: ParameterScope, [xv]: readonly Value[]) => {
      const b = s.child("block");
      const h = add(xv!, multiHeadSelfAttention(b.child("attn"), layerNorm(b.child("ln1"), xv!), { heads: 2 }));
      return add(h, feedForward(b.child("mlp"), layerNorm(b.child("ln2"), h), { hidden: 16 }));
    };
    const noisy = (p: Record<string, Float32Array>) => {
      // γ ≠ 1 and β ≠ 0, so the norms' placement matters
      const r = testRandom(2);
      for (const name of ["block.ln1.weight", "block.ln1.bias", "block.ln2.weight", "block.ln2.bias"])
        p[name]!.forEach((v, i, a) => {
          a[i] = v + 0.5 * r.normal();
        });
    };
    const [a, b] = await Promise.all([
      runLayer([{ name: "x", tensor: x }], block, { adjust: noisy }),
      runLayer([{ name: "x", tensor: x }], byHand, { adjust: noisy }),
    ]);
    assert.deepEqual(a.shape, [2, 4, 8]);
    assert.deepEqual(Array.from(a.output), Array.from(b.output));
  });

  it("keeps the attention causal: changing position 2 leaves positions 0 and 1 bitwise unchanged", async () => {
    const [bsz, t, d] = [1, 4, 8];
    const x = randomSequence([bsz, t, d], 12);
    const changed = { ...x, data: Float32Array.from(x.data, (v, i) => (i >= 2 * d && i < 3 * d ? v - 2 : v)) };
    const [a, b] = await Promise.all([runLayer([{ name: "x", tensor: x }], block), runLayer([{ name: "x", tensor: changed }], block)]);
    assert.deepEqual(Array.from(b.output.subarray(0, 2 * d)), Array.from(a.output.subarray(0, 2 * d)));
    assert.ok(b.output.subarray(2 * d).some((v, i) => Math.abs(v - a.output[2 * d + i]!) > 1e-4));
  });

  it("has gradients for x and every parameter (float32, rtol 2e-2, atol 2e-3, all elements)", async () => {
    const r = await checkLayerGradients({ ...NONLINEAR, inputs: [{ name: "x", shape: [2, 3, 8] }], layer: block });
    assert.equal(r.parameters.length, 12);
  });
});

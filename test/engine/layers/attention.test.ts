import { strict as assert } from "node:assert";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import type { Value } from "../../../src/engine/graph/value.js";
import { causalMask, MASKED_SCORE, multiHeadSelfAttention, scaledDotProductAttention } from "../../../src/engine/layers/attention.js";
import { layerMessages as msg } from "../../../src/engine/layers/messages.js";
import { createParameterScope } from "../../../src/engine/nn/graph-parameter-scope.js";
import { bindAsInputs } from "../../../src/engine/nn/parameter-bindings.js";
import type { Tensor } from "../../../src/tensor.js";
import { checkGradients, testRandom } from "../../support/gradient-check.js";
import { checkLayerGradients, layerParameters } from "./layer-gradients.js";
import { runLayer } from "./run-layer.js";

/** Nonlinear, float32: step 1e-2, |a − n| ≤ 2e-3 + 2e-2·max(|a|, |n|), every element of every input. */
const NONLINEAR = { eps: 1e-2, rtol: 2e-2, atol: 2e-3, samples: 1e9 } as const;

function randomSequence(shape: [number, number, number], seed: number): Tensor<"float32"> {
  const r = testRandom(seed);
  return { dtype: "float32", shape, data: Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, () => r.normal()) };
}

/** Multi-head attention computed directly in float64 from the layer's parameters. */
function referenceAttention(x: Tensor<"float32">, p: Readonly<Record<string, Float32Array>>, heads: number, causal: boolean): Float64Array {
  const [b, t, d] = x.shape as [number, number, number];
  const dh = d / heads;
  const [wqkv, bqkv, wo, bo] = [p["attn.qkv.weight"]!, p["attn.qkv.bias"]!, p["attn.out.weight"]!, p["attn.out.bias"]!];
  const out = new Float64Array(b * t * d);
  for (let n = 0; n < b; n++) {
    const qkv = Array.from({ length: t }, (_, i) =>
      Array.from({ length: 3 * d }, (_, c) => {
        let s = bqkv[c]!;
        for (let k = 0; k < d; k++) s += x.data[(n * t + i) * d + k]! * wqkv[k * 3 * d + c]!;
        return s;
      }),
    );
    const merged = Array.from({ length: t }, () => new Float64Array(d));
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < t; i++) {
        const scores = Array.from({ length: t }, (_, j) => {
          if (causal && j > i) return -Infinity;
          let s = 0;
          for (let k = 0; k < dh; k++) s += qkv[i]![h * dh + k]! * qkv[j]![d + h * dh + k]!;
          return s / Math.sqrt(dh);
        });
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, c) => a + c, 0);
        for (let k = 0; k < dh; k++) merged[i]![h * dh + k] = e.reduce((a, w, j) => a + (w / z) * qkv[j]![2 * d + h * dh + k]!, 0);
      }
    }
    for (let i = 0; i < t; i++) {
      for (let c = 0; c < d; c++) {
        let s = bo[c]!;
        for (let k = 0; k < d; k++) s += merged[i]![k]! * wo[k * d + c]!;
        out[(n * t + i) * d + c] = s;
      }
    }
  }
  return out;
}

const attention =
  (heads: number, causal?: boolean) =>
  (s: Parameters<typeof multiHeadSelfAttention>[0], [x]: readonly Value[]) =>
    multiHeadSelfAttention(s.child("attn"), x!, causal === undefined ? { heads } : { heads, causal });

describe("layers: multiHeadSelfAttention", () => {
  it("declares one fused q/k/v projection [D, 3D] and an output projection [D, D], each with a bias", () => {
    const specs = layerParameters([{ name: "x", shape: [2, 5, 8] }], attention(2));
    assert.deepEqual(
      specs.map((p) => `${p.name} [${p.shape.join(", ")}]`),
      ["attn.qkv.weight [8, 24]", "attn.qkv.bias [24]", "attn.out.weight [8, 8]", "attn.out.bias [8]"],
    );
  });

  for (const causal of [true, false]) {
    it(`computes ${causal ? "causal" : "unmasked"} scaled dot-product attention per head (vs a direct float64 computation, |err| ≤ 1e-4)`, async () => {
      const x = randomSequence([2, 5, 8], 3);
      const run = await runLayer([{ name: "x", tensor: x }], attention(2, causal));
      assert.deepEqual(run.shape, [2, 5, 8]);
      const expected = referenceAttention(x, run.parameters, 2, causal);
      expected.forEach((e, i) => assert.ok(Math.abs(run.output[i]! - e) <= 1e-4, `element ${i}: ${run.output[i]} vs ${e}`));
    });
  }

  it("masks the future: changing position j leaves every earlier position's output bitwise unchanged and changes position j's and later ones", async () => {
    const [b, t, d] = [2, 6, 8];
    const x = randomSequence([b, t, d], 4);
    const base = await runLayer([{ name: "x", tensor: x }], attention(2));
    for (const j of [0, 3, t - 1]) {
      const changed = { ...x, data: Float32Array.from(x.data) };
      for (let k = 0; k < d; k++) changed.data[j * d + k]! += 1.5; // batch 0, position j
      const run = await runLayer([{ name: "x", tensor: changed }], attention(2));
      for (let i = 0; i < t; i++) {
        const row = (out: Float32Array, n: number) => Array.from(out.subarray((n * t + i) * d, (n * t + i + 1) * d));
        if (i < j) assert.deepEqual(row(run.output, 0), row(base.output, 0), `position ${i} saw a change at ${j}`);
        else
          assert.ok(
            row(run.output, 0).some((v, k) => Math.abs(v - row(base.output, 0)[k]!) > 1e-4),
            `position ${i} did not see a change at ${j}`,
          );
        assert.deepEqual(row(run.output, 1), row(base.output, 1), "the other sequence of the batch is unaffected");
      }
    }
  });

  it("masks with a finite score small enough that softmax gives masked positions exactly 0 in float32", () => {
    assert.equal(Math.fround(Math.exp(MASKED_SCORE + 50)), 0);
    assert.ok(Number.isFinite(MASKED_SCORE));
  });

  it("has gradients for x and every parameter, causal (float32, rtol 2e-2, atol 2e-3, all elements)", async () => {
    const r = await checkLayerGradients({ ...NONLINEAR, inputs: [{ name: "x", shape: [2, 4, 8] }], layer: attention(2) });
    assert.equal(r.checked, 2 * 4 * 8 + 8 * 24 + 24 + 8 * 8 + 8);
  });

  it("has gradients for x and every parameter, unmasked, one head and four (float32, rtol 2e-2, atol 2e-3, all elements)", async () => {
    await checkLayerGradients({ ...NONLINEAR, inputs: [{ name: "x", shape: [1, 3, 4] }], layer: attention(1, false) });
    await checkLayerGradients({ ...NONLINEAR, inputs: [{ name: "x", shape: [2, 3, 8] }], layer: attention(4, false) });
  });

  it("has the attention core's composite gradient for q, k and v, causal and unmasked (float64: rtol 1e-6, atol 1e-8, all elements)", async () => {
    for (const causal of [true, false]) {
      const shape = [2, 2, 5, 3];
      const r = await checkGradients({
        dtype: "float64",
        samples: 1e9,
        inputs: [
          { name: "q", shape },
          { name: "k", shape },
          { name: "v", shape },
        ],
        build: (_g, [q, k, v]) => scaledDotProductAttention(q!, k!, v!, causal ? causalMask(q!, 5) : undefined),
      });
      assert.equal(r.checked, 3 * 60);
    }
  });

  it("rejects an input that is not [B, T, D], heads that do not divide D, and q, k, v of different shapes", () => {
    const g = new GraphBuilder();
    const { scope } = createParameterScope(g, bindAsInputs(), { training: true });
    assert.throws(() => multiHeadSelfAttention(scope.child("attn"), g.input("x2", "float32", [4, 8]), { heads: 2 }), {
      name: "RangeError",
      message: msg.badRank("multiHeadSelfAttention", "attn", "[B, T, D]", [4, 8]),
    });
    assert.throws(() => multiHeadSelfAttention(scope.child("attn"), g.input("x3", "float32", [2, 4, 10]), { heads: 4 }), {
      name: "RangeError",
      message: msg.notDivisible("multiHeadSelfAttention", "attn", "the model width", 10, "heads", 4),
    });
    assert.throws(() => multiHeadSelfAttention(scope.child("attn"), g.input("x4", "float32", [2, 4, 8]), { heads: 0 }), {
      name: "RangeError",
      message: msg.notPositiveInteger("multiHeadSelfAttention", "attn", "heads", 0),
    });
    assert.throws(() => multiHeadSelfAttention(scope.child("attn"), g.input("ids", "int64", [2, 4, 8]), { heads: 2 }), {
      name: "TypeError",
      message: msg.notFloat("multiHeadSelfAttention", "attn", "int64"),
    });
    const q = g.input("q", "float32", [1, 2, 4, 3]);
    assert.throws(() => scaledDotProductAttention(q, g.input("k", "float32", [1, 2, 5, 3]), q, undefined), {
      name: "RangeError",
      message: msg.badAttentionOperands([1, 2, 4, 3], [1, 2, 5, 3], [1, 2, 4, 3]),
    });
  });
});

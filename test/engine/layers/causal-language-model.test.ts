import { strict as assert } from "node:assert";
import { reshape } from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import type { Value } from "../../../src/engine/graph/value.js";
import { causalLanguageModel, type CausalLanguageModelOptions } from "../../../src/engine/layers/causal-language-model.js";
import { layerMessages as msg } from "../../../src/engine/layers/messages.js";
import { createParameterScope } from "../../../src/engine/nn/graph-parameter-scope.js";
import { bindAsInputs } from "../../../src/engine/nn/parameter-bindings.js";
import type { ParameterScope } from "../../../src/engine/nn/parameter-scope.js";
import { checkLayerGradients, layerParameters } from "./layer-gradients.js";
import { runLayer } from "./run-layer.js";

const SMALL: CausalLanguageModelOptions = { vocab: 5, context: 6, dim: 8, layers: 2, heads: 2, hidden: 16 };
const lm =
  (options: Partial<CausalLanguageModelOptions> = {}) =>
  (s: ParameterScope, [ids]: readonly Value[]) =>
    causalLanguageModel(s, ids!, { ...SMALL, ...options });

function tokens(b: number, t: number, seed: number): BigInt64Array {
  return BigInt64Array.from({ length: b * t }, (_, i) => BigInt((i * 7 + seed) % SMALL.vocab));
}

describe("layers: causalLanguageModel", () => {
  it("declares embed, blocks.0 … blocks.L−1, the final norm and the head, named like GPT-2's modules", () => {
    const specs = layerParameters([{ name: "ids", shape: [2, 4], dtype: "int64" }], lm());
    const names = specs.map((p) => p.name);
    assert.deepEqual(names.slice(0, 2), ["embed.token.weight", "embed.position.weight"]);
    assert.deepEqual(names.slice(-4), ["norm.weight", "norm.bias", "head.weight", "head.bias"]);
    assert.equal(names.filter((n) => n.startsWith("blocks.0.")).length, 12);
    assert.equal(names.filter((n) => n.startsWith("blocks.1.")).length, 12);
    assert.equal(names.length, 2 + 24 + 4);
    assert.deepEqual(specs.find((p) => p.name === "head.weight")!.shape, [8, 5]);
  });

  it('gives logits [B, T, vocab]; positions "last" gives exactly the last position\'s row', async () => {
    const [b, t] = [2, 4];
    const ids = { name: "ids", tensor: { dtype: "int64" as const, shape: [b, t], data: tokens(b, t, 1) } };
    const [all, last] = await Promise.all([runLayer([ids], lm()), runLayer([ids], lm({ positions: "last" }))]);
    assert.deepEqual(all.shape, [b, t, 5]);
    assert.deepEqual(last.shape, [b, 5]);
    for (let n = 0; n < b; n++) {
      Array.from(last.output.subarray(n * 5, (n + 1) * 5)).forEach((v, k) => assert.ok(Math.abs(v - all.output[(n * t + t - 1) * 5 + k]!) <= 1e-6));
    }
  });

  it("predicts causally: changing the token at position j leaves the logits of positions < j bitwise unchanged and changes those from j on", async () => {
    const [b, t, v] = [1, 6, 5];
    const ids = tokens(b, t, 2);
    const base = await runLayer([{ name: "ids", tensor: { dtype: "int64", shape: [b, t], data: ids } }], lm());
    for (const j of [1, 4]) {
      const changed = Int32Array.from(ids, Number);
      changed[j] = (changed[j]! + 2) % v;
      const run = await runLayer([{ name: "ids", tensor: { dtype: "int64", shape: [b, t], data: BigInt64Array.from(changed, BigInt) } }], lm());
      assert.deepEqual(Array.from(run.output.subarray(0, j * v)), Array.from(base.output.subarray(0, j * v)), `positions before ${j}`);
      for (let i = j; i < t; i++) {
        assert.ok(
          run.output.subarray(i * v, (i + 1) * v).some((x, k) => Math.abs(x - base.output[i * v + k]!) > 1e-5),
          `position ${i} did not see the change at ${j}`,
        );
      }
    }
  });

  it("has the gradient of its mean cross-entropy over [B·T, vocab] for every parameter: embeddings → 2 blocks → head, checked as a whole (float32, step 1e-3, rtol 2e-2, atol 2e-3, 12 elements of each parameter)", async () => {
    const [b, t] = [2, 4];
    const r = await checkLayerGradients({
      eps: 1e-3,
      rtol: 2e-2,
      atol: 2e-3,
      samples: 12,
      inputs: [
        { name: "ids", shape: [b, t], dtype: "int64", data: tokens(b, t, 3) },
        { name: "targets", shape: [b, t], dtype: "int64", data: tokens(b, t, 4) },
      ],
      layer: (s, [ids, targets]) => {
        const logits = reshape(causalLanguageModel(s, ids!, SMALL), [b * t, SMALL.vocab]);
        return logits.graph.opMulti("SoftmaxCrossEntropyLoss", [logits, reshape(targets!, [b * t])], { reduction: "mean" })[0]!;
      },
    });
    assert.equal(r.parameters.length, 30);
    assert.ok(r.checked >= 30 * 8, `${r.checked} elements checked`);
  });

  it("rejects zero layers and an unknown positions option", () => {
    const g = new GraphBuilder();
    const { scope } = createParameterScope(g, bindAsInputs(), { training: true });
    const ids = g.input("ids", "int64", [1, 4]);
    assert.throws(() => causalLanguageModel(scope, ids, { ...SMALL, layers: 0 }), {
      name: "RangeError",
      message: msg.notPositiveInteger("causalLanguageModel", "", "layers", 0),
    });
    assert.throws(() => causalLanguageModel(scope, ids, { ...SMALL, positions: "first" as "last" }), {
      name: "RangeError",
      message: msg.badOption("causalLanguageModel", "", "positions", `"all" or "last"`, "first"),
    });
  });
});

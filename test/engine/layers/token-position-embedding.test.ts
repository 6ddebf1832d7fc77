import { strict as assert } from "node:assert";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import type { Value } from "../../../src/engine/graph/value.js";
import { layerMessages as msg } from "../../../src/engine/layers/messages.js";
import { tokenPositionEmbedding } from "../../../src/engine/layers/token-position-embedding.js";
import { createParameterScope } from "../../../src/engine/nn/graph-parameter-scope.js";
import { bindAsInputs } from "../../../src/engine/nn/parameter-bindings.js";
import { checkLayerGradients, layerParameters } from "./layer-gradients.js";
import { runLayer } from "./run-layer.js";

const embed =
  (vocab: number, context: number, dim: number) =>
  (s: Parameters<typeof tokenPositionEmbedding>[0], [ids]: readonly Value[]) =>
    tokenPositionEmbedding(s.child("embed"), ids!, { vocab, context, dim });

describe("layers: tokenPositionEmbedding", () => {
  it("declares a token table [vocab, dim] and a position table [context, dim], both N(0, 0.02²)", () => {
    const specs = layerParameters([{ name: "ids", shape: [2, 3], dtype: "int64" }], embed(7, 5, 4));
    assert.deepEqual(
      specs.map((p) => [p.name, p.shape, p.init.kind, p.init.args["std"]]),
      [
        ["embed.token.weight", [7, 4], "normal", 0.02],
        ["embed.position.weight", [5, 4], "normal", 0.02],
      ],
    );
  });

  for (const [t, context] of [
    [3, 5],
    [5, 5],
  ] as const) {
    it(`gives token row ids[b, t] plus position row t, for T = ${t} and context ${context}`, async () => {
      const [b, dim] = [2, 4];
      const ids = BigInt64Array.from({ length: b * t }, (_, i) => BigInt((i * 3 + 1) % 7));
      const run = await runLayer([{ name: "ids", tensor: { dtype: "int64", shape: [b, t], data: ids } }], embed(7, context, dim));
      assert.deepEqual(run.shape, [b, t, dim]);
      const [tokens, positions] = [run.parameters["embed.token.weight"]!, run.parameters["embed.position.weight"]!];
      for (let n = 0; n < b; n++) {
        for (let i = 0; i < t; i++) {
          const id = Number(ids[n * t + i]);
          for (let k = 0; k < dim; k++) {
            assert.equal(run.output[(n * t + i) * dim + k], Math.fround(tokens[id * dim + k]! + positions[i * dim + k]!));
          }
        }
      }
    });
  }

  it("has gradients for both tables, repeated ids accumulating and unused positions getting zero (linear: float32, rtol 1e-3, atol 1e-3, all elements)", async () => {
    await checkLayerGradients({
      eps: 0.25,
      rtol: 1e-3,
      atol: 1e-3,
      samples: 1e9,
      inputs: [{ name: "ids", shape: [2, 3], dtype: "int64", data: BigInt64Array.from([1n, 3n, 1n, 0n, 1n, 3n]) }],
      layer: embed(4, 5, 3),
    });
  });

  it("rejects more positions than the context, float ids and ids that are not [B, T]", () => {
    const g = new GraphBuilder();
    const { scope } = createParameterScope(g, bindAsInputs(), { training: true });
    const options = { vocab: 7, context: 4, dim: 2 };
    assert.throws(() => tokenPositionEmbedding(scope.child("embed"), g.input("long", "int64", [2, 5]), options), {
      name: "RangeError",
      message: msg.tooManyPositions("tokenPositionEmbedding", "embed", 5, 4),
    });
    assert.throws(() => tokenPositionEmbedding(scope.child("embed"), g.input("float", "float32", [2, 3]), options), {
      name: "TypeError",
      message: msg.badTokenIds("tokenPositionEmbedding", "embed", "float32", [2, 3]),
    });
    assert.throws(() => tokenPositionEmbedding(scope.child("embed"), g.input("flat", "int64", [6]), options), {
      name: "RangeError",
      message: msg.badTokenIds("tokenPositionEmbedding", "embed", "int64", [6]),
    });
  });
});

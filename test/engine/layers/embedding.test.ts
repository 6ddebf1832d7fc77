import { strict as assert } from "node:assert";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { embedding } from "../../../src/engine/layers/embedding.js";
import { layerMessages as msg } from "../../../src/engine/layers/messages.js";
import { createParameterScope } from "../../../src/engine/nn/graph-parameter-scope.js";
import { bindAsInputs } from "../../../src/engine/nn/parameter-bindings.js";
import { checkLayerGradients, layerParameters } from "./layer-gradients.js";
import { runLayer } from "./run-layer.js";

describe("layers: embedding", () => {
  it("declares a [num, dim] table initialised N(0, 1) and looks up rows by id, for any id shape", async () => {
    const specs = layerParameters([{ name: "ids", shape: [2, 3], dtype: "int64" }], (s, [ids]) => embedding(s.child("emb"), ids!, 5, 4));
    assert.deepEqual(
      specs.map((p) => [p.name, p.shape, p.init.kind, p.init.args["std"]]),
      [["emb.weight", [5, 4], "normal", 1]],
    );
    const ids = BigInt64Array.from([4n, 0n, 2n, 2n, 1n, -1n]);
    const run = await runLayer([{ name: "ids", tensor: { dtype: "int64", shape: [2, 3], data: ids } }], (s, [v]) => embedding(s.child("emb"), v!, 5, 4));
    assert.deepEqual(run.shape, [2, 3, 4]);
    const table = run.parameters["emb.weight"]!;
    ids.forEach((id, k) => {
      const row = (Number(id) + 5) % 5; // Gather takes negative ids from the end
      assert.deepEqual(Array.from(run.output.subarray(k * 4, k * 4 + 4)), Array.from(table.subarray(row * 4, row * 4 + 4)));
    });
  });

  it("accumulates the gradient of repeated ids into their row (Gather is linear: float32, rtol 1e-3, atol 1e-3, all elements)", async () => {
    await checkLayerGradients({
      eps: 0.25,
      rtol: 1e-3,
      atol: 1e-3,
      samples: 1e9,
      inputs: [{ name: "ids", shape: [6], dtype: "int64", data: BigInt64Array.from([1n, 3n, 1n, 0n, 1n, 3n]) }],
      layer: (s, [ids]) => embedding(s.child("emb"), ids!, 4, 3),
    });
  });

  it("rejects float ids", () => {
    const g = new GraphBuilder();
    const { scope } = createParameterScope(g, bindAsInputs(), { training: true });
    assert.throws(() => embedding(scope.child("emb"), g.input("x", "float32", [3]), 4, 2), { name: "TypeError", message: msg.badIds("emb", "float32") });
  });
});

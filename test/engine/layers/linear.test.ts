import { strict as assert } from "node:assert";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { serializeGraph } from "../../../src/engine/graph/serialize.js";
import { linear } from "../../../src/engine/layers/linear.js";
import { createParameterScope } from "../../../src/engine/nn/graph-parameter-scope.js";
import { bindAsInputs } from "../../../src/engine/nn/parameter-bindings.js";
import { compileGraph } from "../../../src/engine/runtime/ort-runtime.js";
import type { Tensor } from "../../../src/tensor.js";

describe("linear layer", () => {
  it("computes x·W + b over the last axis with W stored [in, out] (|diff| ≤ 1e-6)", async () => {
    const g = new GraphBuilder("linear");
    const bound = createParameterScope(g, bindAsInputs(), { training: true });
    const x = g.input("x", "float32", [2, 3, 4]);
    g.output(linear(bound.scope.child("fc"), x, 5), "y");
    assert.deepEqual(
      bound.specs().map((s) => [s.name, s.shape, s.init.kind]),
      [
        ["fc.weight", [4, 5], "torch-default"],
        ["fc.bias", [5], "torch-default"],
      ],
    );
    const compiled = await compileGraph(serializeGraph(g));
    const xs = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i));
    const w = Float32Array.from({ length: 20 }, (_, i) => Math.cos(i));
    const b = Float32Array.from({ length: 5 }, (_, i) => i / 10);
    const feeds: Record<string, Tensor> = {
      x: { dtype: "float32", shape: [2, 3, 4], data: xs },
      "fc.weight": { dtype: "float32", shape: [4, 5], data: w },
      "fc.bias": { dtype: "float32", shape: [5], data: b },
    };
    const y = (await compiled.run(feeds))["y"]!;
    await compiled.release();
    assert.deepEqual(y.shape, [2, 3, 5]);
    for (let r = 0; r < 6; r++) {
      for (let o = 0; o < 5; o++) {
        let want = b[o]!;
        for (let i = 0; i < 4; i++) want += xs[r * 4 + i]! * w[i * 5 + o]!;
        assert.ok(Math.abs((y.data as Float32Array)[r * 5 + o]! - want) <= 1e-6);
      }
    }
  });

  it("omits the bias on request and rejects a bad width", () => {
    const g = new GraphBuilder("linear");
    const bound = createParameterScope(g, bindAsInputs(), { training: true });
    const x = g.input("x", "float32", [2, 3]);
    linear(bound.scope.child("fc"), x, 4, { bias: false });
    assert.deepEqual(
      bound.specs().map((s) => s.name),
      ["fc.weight"],
    );
    assert.throws(() => linear(bound.scope.child("bad"), x, 0), RangeError);
  });
});

import { strict as assert } from "node:assert";
import { registeredGradients } from "../../../src/engine/autodiff/gradient-registry.js";
import {
  add,
  avgPool,
  conv,
  convTranspose,
  gemm,
  globalAvgPool,
  groupNorm,
  layerNorm,
  maxPool,
  pad,
  silu,
  upsampleNearest2x,
} from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { checkGradients } from "../../support/gradient-check.js";

describe("autodiff: the layers' building blocks, composed", () => {
  it("builds the conv, pool, upsampling, normalisation, Gemm and Pad helpers only from ops that have gradients", () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float32", [2, 4, 8, 8]);
    const c4 = g.input("c4", "float32", [4]);
    const y = conv(x, g.input("w", "float32", [4, 2, 3, 3]), c4, { pads: [1, 1, 1, 1], group: 2 });
    convTranspose(y, g.input("wt", "float32", [4, 4, 2, 2]), undefined, { strides: [2, 2] });
    upsampleNearest2x(maxPool(avgPool(y, [2, 2], { strides: [2, 2] }), [2, 2], { strides: [2, 2] }));
    globalAvgPool(groupNorm(y, c4, c4, 2));
    layerNorm(y, g.input("ln", "float32", [8]), undefined, { axis: -1 });
    gemm(g.input("a", "float32", [3, 4]), g.input("b", "float32", [4, 2]), g.input("bias", "float32", [2]));
    pad(x, [0, 0, 1, 1, 0, 0, 1, 1]);
    const registered = new Set(registeredGradients());
    const ops = [...new Set(g.nodes.map((n) => n.opType))];
    for (const op of [
      "Conv",
      "ConvTranspose",
      "AveragePool",
      "MaxPool",
      "Resize",
      "GlobalAveragePool",
      "GroupNormalization",
      "LayerNormalization",
      "Gemm",
      "Pad",
    ]) {
      assert.ok(ops.includes(op), `expected a ${op} node, got ${ops.join(", ")}`);
    }
    assert.deepEqual(
      ops.filter((op) => !registered.has(op)),
      [],
    );
  });

  it("differentiates a small UNet-like block end to end (float32 central differences, rtol 2e-2, atol 2e-3, all elements)", async () => {
    // conv → GroupNorm → SiLU → 2×2 average pool → nearest 2× upsample → skip add → 1×1 conv.
    await checkGradients({
      dtype: "float32",
      samples: 1e9,
      inputs: [
        { name: "x", shape: [1, 2, 4, 4] },
        { name: "w1", shape: [4, 2, 3, 3], scale: 0.5 },
        { name: "gamma", shape: [4] },
        { name: "beta", shape: [4] },
        { name: "w2", shape: [2, 4, 1, 1] },
      ],
      build: (_g, [x, w1, gamma, beta, w2]) => {
        const h = silu(groupNorm(conv(x!, w1!, undefined, { pads: [1, 1, 1, 1] }), gamma!, beta!, 2));
        return conv(add(h, upsampleNearest2x(avgPool(h, [2, 2], { strides: [2, 2] }))), w2!);
      },
    });
  });
});

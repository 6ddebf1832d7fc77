import { strict as assert } from "node:assert";
import { residualBlock } from "../../../src/engine/layers/residual-block.js";
import { checkLayerGradients, layerParameters } from "./layer-gradients.js";

/** Nonlinear, float32: step 1e-2, |a − n| ≤ 2e-3 + 2e-2·max(|a|, |n|), every element of every input. */
const NONLINEAR = { eps: 1e-2, rtol: 2e-2, atol: 2e-3, samples: 1e9 } as const;

describe("layers: residualBlock", () => {
  it("declares norm1, conv1, emb, norm2, conv2 and a 1×1 skip conv when the channels change", () => {
    const specs = layerParameters(
      [
        { name: "x", shape: [2, 4, 6, 6] },
        { name: "e", shape: [2, 5] },
      ],
      (s, [x, e]) => residualBlock(s.child("b"), x!, e, 8, { groups: 2 }),
    );
    assert.deepEqual(
      specs.map((p) => `${p.name} [${p.shape.join(", ")}]`),
      [
        "b.norm1.weight [4]",
        "b.norm1.bias [4]",
        "b.conv1.weight [8, 4, 3, 3]",
        "b.conv1.bias [8]",
        "b.emb.weight [5, 8]",
        "b.emb.bias [8]",
        "b.norm2.weight [8]",
        "b.norm2.bias [8]",
        "b.conv2.weight [8, 8, 3, 3]",
        "b.conv2.bias [8]",
        "b.skip.weight [8, 4, 1, 1]",
        "b.skip.bias [8]",
      ],
    );
    const same = layerParameters([{ name: "x", shape: [2, 4, 6, 6] }], (s, [x]) => residualBlock(s.child("b"), x!, undefined, 4, { groups: 2 }));
    assert.ok(same.every((p) => !p.name.startsWith("b.skip") && !p.name.startsWith("b.emb")));
  });

  it("has gradients for x, the embedding and every parameter with a channel change (float32, rtol 2e-2, atol 2e-3, all elements)", async () => {
    await checkLayerGradients({
      ...NONLINEAR,
      inputs: [
        { name: "x", shape: [2, 2, 4, 4] },
        { name: "e", shape: [2, 3] },
      ],
      layer: (s, [x, e]) => residualBlock(s.child("b"), x!, e, 4, { groups: 2 }),
    });
  });

  it("has gradients with an identity skip and no embedding (float32, rtol 2e-2, atol 2e-3, all elements)", async () => {
    await checkLayerGradients({
      ...NONLINEAR,
      inputs: [{ name: "x", shape: [1, 4, 3, 3] }],
      layer: (s, [x]) => residualBlock(s.child("b"), x!, undefined, 4, { groups: 4 }),
    });
  });
});

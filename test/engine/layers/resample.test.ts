import { strict as assert } from "node:assert";
import { downsample } from "../../../src/engine/layers/downsample.js";
import { upsample } from "../../../src/engine/layers/upsample.js";
import { checkLayerGradients, layerParameters } from "./layer-gradients.js";
import { runLayer } from "./run-layer.js";

/** Both layers are linear (conv; nearest repeat + conv): step 0.25, |a − n| ≤ 1e-3 + 1e-3·max(|a|, |n|), every element. */
const LINEAR = { eps: 0.25, rtol: 1e-3, atol: 1e-3, samples: 1e9 } as const;

describe("layers: downsample and upsample", () => {
  it("downsample halves 28 → 14 → 7 with a 3×3 stride-2 conv", async () => {
    const specs = layerParameters([{ name: "x", shape: [1, 4, 14, 14] }], (s, [x]) => downsample(s.child("d"), x!, 8));
    assert.deepEqual(
      specs.map((p) => [p.name, p.shape]),
      [
        ["d.weight", [8, 4, 3, 3]],
        ["d.bias", [8]],
      ],
    );
    const x = { dtype: "float32" as const, shape: [2, 3, 28, 28], data: new Float32Array(2 * 3 * 784).fill(1) };
    const r28 = await runLayer([{ name: "x", tensor: x }], (s, [v]) => downsample(s.child("d"), v!));
    assert.deepEqual(r28.shape, [2, 3, 14, 14]);
    const x14 = { dtype: "float32" as const, shape: [2, 3, 14, 14], data: new Float32Array(2 * 3 * 196).fill(1) };
    assert.deepEqual((await runLayer([{ name: "x", tensor: x14 }], (s, [v]) => downsample(s.child("d"), v!))).shape, [2, 3, 7, 7]);
  });

  it("upsample repeats each pixel into a 2×2 block before its conv (a 1×1 identity kernel shows the blocks)", async () => {
    const x = { dtype: "float32" as const, shape: [1, 1, 2, 2], data: Float32Array.from([1, 2, 3, 4]) };
    // A 3×3 kernel with only the centre tap set to 1 and bias 0 is the identity.
    const run = await runLayer([{ name: "x", tensor: x }], (s, [v]) => upsample(s.child("u"), v!), {
      adjust: (p) => {
        p["u.weight"]!.fill(0);
        p["u.weight"]![4] = 1;
        p["u.bias"]!.fill(0);
      },
    });
    assert.deepEqual(run.shape, [1, 1, 4, 4]);
    assert.deepEqual(Array.from(run.output), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  it("have exact gradients (float32, rtol 1e-3, atol 1e-3, all elements)", async () => {
    await checkLayerGradients({ ...LINEAR, inputs: [{ name: "x", shape: [2, 2, 6, 6] }], layer: (s, [x]) => downsample(s.child("d"), x!, 3) });
    await checkLayerGradients({ ...LINEAR, inputs: [{ name: "x", shape: [2, 3, 3, 3] }], layer: (s, [x]) => upsample(s.child("u"), x!, 2) });
  });
});

import { strict as assert } from "node:assert";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { unet, UNET_PRESETS, validateUNetConfig, type UNetConfig } from "../../../src/engine/models/unet.js";
import { createParameterScope } from "../../../src/engine/nn/graph-parameter-scope.js";
import { bindAsInputs } from "../../../src/engine/nn/parameter-bindings.js";
import { checkLayerGradients, layerParameters } from "../layers/layer-gradients.js";
import { runLayer } from "../layers/run-layer.js";

const parameterCount = (config: UNetConfig): number =>
  layerParameters(
    [
      { name: "x", shape: [1, config.imageChannels, config.imageSize, config.imageSize] },
      { name: "t", shape: [1], dtype: "int64" },
    ],
    (s, [x, t]) => unet(s, x!, t!, config),
  ).reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);

/** A UNet small enough to check every gradient by finite differences: 4×4 images, two levels. */
const MICRO: UNetConfig = { imageSize: 4, imageChannels: 1, widths: [2, 4], groups: 2, embeddingDim: 4, embeddingHidden: 3 };

describe("models: UNet denoiser", () => {
  it("has the parameter counts its doc comment states for each preset", () => {
    assert.equal(parameterCount(UNET_PRESETS.tiny), 97_281);
    assert.equal(parameterCount(UNET_PRESETS.small), 669_889);
  });

  it("starts at ε̂ = 0: the output conv and every block's last conv are zero-initialised", () => {
    const specs = layerParameters(
      [
        { name: "x", shape: [1, 1, 28, 28] },
        { name: "t", shape: [1], dtype: "int64" },
      ],
      (s, [x, t]) => unet(s, x!, t!, UNET_PRESETS.tiny),
    );
    const zero = specs.filter((p) => p.init.kind === "zeros" && p.name.endsWith(".weight")).map((p) => p.name);
    assert.deepEqual(zero, ["down0.conv2.weight", "down1.conv2.weight", "mid.conv2.weight", "up1.conv2.weight", "up0.conv2.weight", "conv_out.weight"]);
  });

  it("returns ε̂ with the input's shape for both presets (static shapes and onnxruntime's)", async () => {
    for (const config of [UNET_PRESETS.tiny, UNET_PRESETS.small]) {
      const g = new GraphBuilder();
      const { scope } = createParameterScope(g, bindAsInputs(), { training: false });
      const y = unet(scope, g.input("x", "float32", [3, 1, 28, 28]), g.input("t", "int64", [3]), config);
      assert.deepEqual(y.shape, [3, 1, 28, 28]);
      assert.equal(y.dtype, "float32");
    }
    const n = 2;
    const run = await runLayer(
      [
        { name: "x", tensor: { dtype: "float32", shape: [n, 1, 28, 28], data: new Float32Array(n * 784).map((_, i) => Math.sin(i)) } },
        { name: "t", tensor: { dtype: "int64", shape: [n], data: BigInt64Array.from([0n, 999n]) } },
      ],
      (s, [x, t]) => unet(s, x!, t!, UNET_PRESETS.tiny),
    );
    assert.deepEqual(run.shape, [n, 1, 28, 28]);
    assert.ok(run.output.every(Number.isFinite));
  });

  it("depends on the timestep: the same image at t = 10 and t = 900 gives different ε̂", async () => {
    const x = new Float32Array(2 * 784);
    for (let i = 0; i < 784; i++) x[i] = x[784 + i] = Math.cos(i / 7);
    const run = await runLayer(
      [
        { name: "x", tensor: { dtype: "float32", shape: [2, 1, 28, 28], data: x } },
        { name: "t", tensor: { dtype: "int64", shape: [2], data: BigInt64Array.from([10n, 900n]) } },
      ],
      (s, [xv, t]) => unet(s, xv!, t!, UNET_PRESETS.tiny),
      {
        // The zero-initialised convs would make ε̂ = 0 for every t: give them values first.
        adjust: (p) => {
          for (const v of Object.values(p))
            if (v.every((x) => x === 0))
              v.forEach((_, i) => {
                v[i] = 0.05 * Math.sin(i + 1);
              });
        },
      },
    );
    let diff = 0;
    for (let i = 0; i < 784; i++) diff = Math.max(diff, Math.abs(run.output[i]! - run.output[784 + i]!));
    assert.ok(diff > 1e-3, `max difference ${diff}`);
  });

  // GroupNorm over groups of a few near-constant values is sharply curved, so the central difference
  // needs a small step: at 1e-2 it is off by up to 6% on the stride-2 conv's weights, at 3e-3 and
  // 1e-3 it agrees with the analytic gradient within the bound.
  it("has gradients for the image and every parameter of a whole (micro) UNet (float32, step 3e-3, rtol 2e-2, atol 2e-3, all elements)", async function () {
    this.timeout(120_000);
    const r = await checkLayerGradients({
      eps: 3e-3,
      rtol: 2e-2,
      atol: 2e-3,
      samples: 1e9,
      inputs: [
        { name: "x", shape: [2, 1, 4, 4] },
        { name: "t", shape: [2], dtype: "int64", data: BigInt64Array.from([3n, 640n]) },
      ],
      layer: (s, [x, t]) => unet(s, x!, t!, MICRO),
    });
    assert.ok(r.parameters.length > 40, `${r.parameters.length} parameter tensors`);
  });

  it("rejects widths not divisible by groups and image sizes the levels cannot halve", () => {
    assert.throws(() => validateUNetConfig({ ...UNET_PRESETS.tiny, widths: [16, 30] }), {
      name: "RangeError",
      message: /widths\[1\] = 30 is not divisible by groups 4/,
    });
    assert.throws(() => validateUNetConfig({ ...UNET_PRESETS.small, widths: [32, 64, 64, 64] }), {
      message: /imageSize 28 is not divisible by 2\^\(levels−1\) = 8/,
    });
    assert.throws(() => validateUNetConfig({ ...UNET_PRESETS.tiny, embeddingDim: 7 }), { message: /embeddingDim must be an even integer/ });
  });
});

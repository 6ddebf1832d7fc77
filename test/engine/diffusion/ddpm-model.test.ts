import { strict as assert } from "node:assert";
import { ddpm, SAMPLE_EPS, SAMPLE_GRAPH } from "../../../src/engine/diffusion/ddpm-model.js";
import { diffusionMessages as msg } from "../../../src/engine/diffusion/messages.js";
import { adamw } from "../../../src/engine/optim/adamw.js";
import { constantLr } from "../../../src/engine/optim/schedules.js";
import { createGenerator } from "../../../src/engine/random/index.js";
import { createTrainingSession } from "../../../src/engine/session/onnx-training-session.js";
import { type Tensor, tensor } from "../../../src/tensor.js";
import { perturbZeroParameters } from "./perturbed-session.js";

function images(n: number, seed: number): Float32Array {
  return createGenerator(seed).fillUniform(new Float32Array(n * 784), 0, 1);
}

/** A batch as the DataLoader gives it: an images column of n flat 28×28 images. */
function imageBatch(data: Float32Array): { columns: { images: Tensor<"float32"> } } {
  return { columns: { images: tensor("float32", [data.length / 784, 784], data) } };
}

describe("diffusion: the DDPM model", () => {
  it("declares images, timesteps and noise as step inputs and fingerprints the UNet and schedule in its config", () => {
    const model = ddpm({ unet: "tiny", schedule: { kind: "cosine", steps: 500 } });
    assert.deepEqual(model.inputs(8), {
      images: { dtype: "float32", shape: [8, 1, 28, 28] },
      t: { dtype: "int64", shape: [8] },
      noise: { dtype: "float32", shape: [8, 1, 28, 28] },
    });
    assert.deepEqual(model.config, {
      kind: "ddpm",
      unet: { imageSize: 28, imageChannels: 1, widths: [16, 32], groups: 4, embeddingDim: 32, embeddingHidden: 64 },
      schedule: { kind: "cosine", steps: 500 },
    });
    assert.deepEqual(model.imageShape, [1, 28, 28]);
    assert.deepEqual(model.graphs?.[SAMPLE_GRAPH]?.inputs(2), { x: { dtype: "float32", shape: [2, 1, 28, 28] }, t: { dtype: "int64", shape: [2] } });
  });

  it("draws the timesteps (⌊u·T⌋) and then the noise from the generator it is given, in that order, and nothing else", () => {
    const model = ddpm({ unet: "tiny" });
    const batch = imageBatch(images(5, 1));
    const rng = createGenerator("feeds");
    const feeds = model.feeds(batch, rng);
    const replay = createGenerator("feeds");
    const u = replay.fillUniform(new Float32Array(5), 0, 1);
    const noise = replay.fillNormal(new Float32Array(5 * 784), 0, 1);
    assert.deepEqual(
      Array.from(feeds["t"]!.data as BigInt64Array),
      Array.from(u, (v) => BigInt(Math.floor(v * 1000))),
    );
    assert.deepEqual(feeds["noise"]!.data, noise);
    assert.equal(feeds["images"]!.data, batch.columns.images.data, "the batch's pixels are fed as they are (no copy)");
    assert.deepEqual(feeds["images"]!.shape, [5, 1, 28, 28]);
    assert.deepEqual(rng.state(), replay.state());
  });

  it("covers every timestep 0..T−1 and no other over many draws", () => {
    const model = ddpm({ unet: "tiny", schedule: { kind: "linear", steps: 10 } });
    const seen = new Set<bigint>();
    const rng = createGenerator(3);
    for (let i = 0; i < 20; i++) for (const t of model.feeds(imageBatch(images(8, i)), rng)["t"]!.data as BigInt64Array) seen.add(t);
    assert.deepEqual(
      [...seen].sort((a, b) => Number(a - b)),
      Array.from({ length: 10 }, (_, i) => BigInt(i)),
    );
  });

  it("computes mean((UNet(x_t, t) − ε)²) with x_t = √ᾱ_t·(2·images − 1) + √(1 − ᾱ_t)·ε (vs the sample graph and a TypeScript x_t, relative error ≤ 1e-5)", async () => {
    const n = 4;
    const model = ddpm({ unet: "tiny" });
    const session = await createTrainingSession({ model, optimizer: adamw(), schedule: constantLr(1e-3), batchSize: n, rng: createGenerator(1) });
    try {
      perturbZeroParameters(session, 3);
      const batch = imageBatch(images(n, 2));
      const { loss } = await session.evaluate(batch, createGenerator("eval"));
      const feeds = model.feeds(batch, createGenerator("eval"));
      const t = feeds["t"]!.data as BigInt64Array;
      const noise = feeds["noise"]!.data as Float32Array;
      const xt = new Float32Array(n * 784);
      for (let i = 0; i < n; i++) {
        const a = Math.fround(model.schedule.sqrtAlphaBars[Number(t[i])]!);
        const b = Math.fround(model.schedule.sqrtOneMinusAlphaBars[Number(t[i])]!);
        for (let p = 0; p < 784; p++) {
          const k = i * 784 + p;
          xt[k] = a * (2 * batch.columns.images.data[k]! - 1) + b * noise[k]!;
        }
      }
      const denoiser = await session.graph(SAMPLE_GRAPH, n);
      const eps = (await denoiser.run({ x: { dtype: "float32", shape: [n, 1, 28, 28], data: xt }, t: { dtype: "int64", shape: [n], data: t } }))[SAMPLE_EPS]!
        .data as Float32Array;
      let mse = 0;
      for (let k = 0; k < eps.length; k++) mse += (eps[k]! - noise[k]!) ** 2;
      mse /= eps.length;
      assert.ok(Math.abs(loss - mse) <= 1e-5 * mse, `loss ${loss}, expected ${mse}`);
      assert.ok(mse > 0.1, "an untrained UNet does not predict the noise");
      // ε̂ depends on x_t: the loss is not just mean(ε²), what a zero prediction would give.
      const zeroPrediction = noise.reduce((a, v) => a + v * v, 0) / noise.length;
      assert.ok(Math.abs(mse - zeroPrediction) > 1e-3, `mse ${mse} vs mean(ε²) ${zeroPrediction}`);
    } finally {
      await session.release();
    }
  });

  it("rejects batches that are not whole images, and unknown presets", () => {
    const model = ddpm({ unet: "tiny" });
    assert.throws(() => model.feeds({ columns: { images: tensor("float32", [785]) } }, createGenerator(1)), {
      name: "NbresumeError",
      code: "ENGINE_MODEL_DATA_MISMATCH",
      message: msg.badBatch([1, 28, 28], new Float32Array(785)),
    });
    assert.throws(() => model.feeds({ columns: { images: tensor("float32", [0]) } }, createGenerator(1)), {
      message: msg.badBatch([1, 28, 28], new Float32Array(0)),
    });
    assert.throws(() => model.feeds({ columns: { pixels: tensor("float32", [784]) } }, createGenerator(1)), { message: msg.badBatch([1, 28, 28], undefined) });
    assert.throws(() => ddpm({ unet: "huge" as "tiny" }), { name: "RangeError", message: msg.unknownPreset("huge", ["tiny", "small"]) });
  });
});

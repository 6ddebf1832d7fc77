/**
 * The sampler thread on its own: a real worker thread with its own onnxruntime sessions drawing
 * the demo's tiny UNet's samples, compared bit for bit with the same samples drawn on this thread;
 * one grid in flight; what happens when it cannot start, and when it is closed mid-grid.
 */
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { SnapshotBuffer } from "../../src/checkpoint/snapshot.js";
import { ddpm, SAMPLE_GRAPH } from "../../src/engine/diffusion/ddpm-model.js";
import { buildInferenceModel } from "../../src/engine/export.js";
import { adamw } from "../../src/engine/optim/adamw.js";
import { constantLr } from "../../src/engine/optim/schedules.js";
import { createGenerator, generatorFromState } from "../../src/engine/random/index.js";
import { createTrainingSession } from "../../src/engine/session/onnx-training-session.js";
import type { TrainingSession } from "../../src/engine/session/training-session.js";
import { isNbresumeError } from "../../src/errors.js";
import { decodePng } from "../../src/render/image.js";
import type { Batch } from "../../src/engine/data/batch.js";
import { DataLoader } from "../../src/engine/data/data-loader.js";
import { DiffusionPreviewer } from "../../src/run/diffusion-previewer.js";
import { drawDiffusionSamples } from "../../src/run/diffusion-samples.js";
import { RunErrorCode, runMessages as msg } from "../../src/run/messages.js";
import type { PreviewSettings } from "../../src/run/preview.js";
import type { SampleSettings, SamplerInit } from "../../src/run/sampler-protocol.js";
import { SamplerThread, type DrawOutcome } from "../../src/run/sampler-thread.js";
import type { TensorGroup } from "../../src/tensor.js";
import { mnistOnce } from "./support.js";

/** The demo's preview: 16 samples, 20 DDIM steps, η = 1 (noise drawn at every step). */
const SETTINGS: SampleSettings = { samples: 16, samplerSteps: 20, eta: 1 };
const model = ddpm({ unet: "tiny" });

function init(overrides: Partial<SamplerInit> = {}): Omit<SamplerInit, "stop"> {
  return { spec: { schedule: model.schedule, imageShape: model.imageShape }, settings: SETTINGS, modelConfig: model.config, threads: 1, prepare: true, ...overrides };
}

function bits(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function images(outcome: DrawOutcome): Float32Array {
  assert.ok("images" in outcome, `expected samples, got ${JSON.stringify(outcome)}`);
  return outcome.images;
}

/** A sampler thread whose stopping fails the test (it should not stop in these tests). */
function thread(overrides: Partial<SamplerInit> = {}): SamplerThread {
  return new SamplerThread(init(overrides), (detail) => assert.fail(`the sampler thread stopped: ${detail}`));
}

describe("run/sampler-thread: sample grids drawn on a thread of their own", function () {
  this.timeout(60_000);
  let session: TrainingSession<Batch>;
  let weights: TensorGroup;
  const rng = createGenerator(7).fork("preview").state();

  before(async function () {
    // Weights after a few real steps, not the initial draw.
    session = await createTrainingSession({ model, optimizer: adamw(), schedule: constantLr(2e-3), batchSize: 8, rng: createGenerator(7).fork("train") });
    const loader = new DataLoader((await mnistOnce()).train, { batchSize: 8, generator: createGenerator(7).fork("data") });
    for (let i = 0; i < 3; i++) await session.step(loader.next());
    weights = session.parameters();
  });

  after(async function () {
    await session.release();
  });

  it("draws bitwise the same samples as this thread (2 onnxruntime threads) for the same weights and seed, from graph bytes and from a copy of the weights", async function () {
    const bytes = buildInferenceModel(model, weights, { graph: SAMPLE_GRAPH, batchSize: SETTINGS.samples }).bytes;
    const here = await drawDiffusionSamples(bytes, model, SETTINGS, generatorFromState(rng), 2);
    // Not a trivial comparison: 16 distinct, finite images.
    assert.equal(here.length, 16 * 28 * 28);
    assert.ok(here.every(Number.isFinite));
    assert.notDeepEqual(here.subarray(0, 784), here.subarray(784, 2 * 784));

    const t = thread();
    try {
      const fromBytes = images(await t.draw({ bytes }, rng));
      assert.ok(bits(fromBytes).equals(bits(here)), "samples from graph bytes differ from this thread's");

      assert.equal(await t.prepared, true, "the thread loads its graph builder");
      assert.equal(t.buildsGraphs, true);
      const snapshot = new SnapshotBuffer().take([["model", weights]]);
      const fromWeights = images(await t.draw({ weights: snapshot }, rng));
      assert.ok(bits(fromWeights).equals(bits(here)), "samples from a copy of the weights (graph built on the thread) differ from this thread's");
    } finally {
      await t.close();
    }
  });

  it("keeps one grid in flight: the next request waits, a newer one replaces it (skipped as superseded), and both drawn grids match", async function () {
    const bytes = buildInferenceModel(model, weights, { graph: SAMPLE_GRAPH, batchSize: SETTINGS.samples }).bytes;
    const t = thread();
    try {
      const first = t.draw({ bytes }, rng);
      const second = t.draw({ bytes }, rng);
      const third = t.draw({ bytes }, rng);
      assert.deepEqual(await second, { skipped: "superseded" });
      assert.ok(bits(images(await first)).equals(bits(images(await third))));
    } finally {
      await t.close();
    }
  });

  it("fails every grid with RUN_SAMPLER_STOPPED and reports the reason once when its thread cannot start", async function () {
    const reports: string[] = [];
    const t = new SamplerThread(init(), (detail) => reports.push(detail), () => new Worker("throw new Error('no sampler here')", { eval: true }));
    try {
      const bytes = buildInferenceModel(model, weights, { graph: SAMPLE_GRAPH, batchSize: SETTINGS.samples }).bytes;
      for (let i = 0; i < 2; i++) {
        await assert.rejects(t.draw({ bytes }, rng), (e: unknown) => isNbresumeError(e, RunErrorCode.SAMPLER_STOPPED) && e.message === msg.samplerStopped("no sampler here"));
      }
      assert.deepEqual(reports, ["no sampler here"]);
      assert.equal(t.stopped, "no sampler here");
    } finally {
      await t.close();
    }
  });

  it("close() ends a grid in flight as skipped without waiting for it, and its thread exits", async function () {
    // 1,000 DDIM steps: seconds on one onnxruntime thread, so it is surely still being drawn.
    const long: SampleSettings = { ...SETTINGS, samplerSteps: 1000 };
    const t = thread({ settings: long });
    const bytes = buildInferenceModel(model, weights, { graph: SAMPLE_GRAPH, batchSize: long.samples }).bytes;
    const drawing = t.draw({ bytes }, rng);
    await t.ready;
    await t.close();
    assert.deepEqual(await drawing, { skipped: "closed" });
    assert.equal(t.exited, true, "the worker thread has exited");
    assert.deepEqual(await t.draw({ bytes }, rng), { skipped: "closed" });
  });

  it("a previewer whose sampler thread cannot start draws its grids on this thread, says so once, and draws the same grids", async function () {
    const data = await mnistOnce();
    const fallbacks: string[] = [];
    const settings = (sampler: "thread" | "main"): PreviewSettings => ({
      ...SETTINGS, threads: undefined, generator: () => createGenerator(7).fork("preview"), images: data.test, sampler,
      onFallback: (detail) => fallbacks.push(detail),
      startSampler: () => new Worker("throw new Error('no sampler here')", { eval: true }),
    });
    const failing = new DiffusionPreviewer(model, settings("thread"));
    const main = new DiffusionPreviewer(model, settings("main"));
    try {
      failing.start(false);
      const a = await failing.request(weights, "step 3");
      const b = await failing.request(weights, "step 3");
      const c = await main.request(weights, "step 3");
      assert.deepEqual(fallbacks, ["no sampler here"]);
      assert.equal(failing.offThread, false);
      for (const g of [a, b]) {
        assert.ok("grid" in g && "grid" in c);
        assert.equal(g.offThread, false);
        assert.ok(Buffer.from(g.grid.bundle["image/png"]).equals(Buffer.from(c.grid.bundle["image/png"])), "the fallback grid differs from the main-thread one");
        const png = await decodePng(g.grid.bundle["image/png"]);
        assert.deepEqual([png.width, png.height], [g.grid.width, g.grid.height]);
      }
    } finally {
      await failing.close();
      await main.close();
    }
  });
});

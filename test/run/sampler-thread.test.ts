/**
 * The sampler thread on its own: a real worker thread with its own onnxruntime sessions computing
 * the demo's tiny UNet's diffusion samples from the stored sampling graph (no weights) and a copy
 * of the weights, compared bit for bit with the same samples computed on this thread; one request
 * in flight; what happens when it cannot start, and when it is closed mid-preview.
 */
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { SnapshotBuffer } from "../../src/shared/snapshot.js";
import type { Batch } from "../../src/engine/data/batch.js";
import { DataLoader } from "../../src/engine/data/data-loader.js";
import { ddpm } from "../../src/engine/diffusion/ddpm-model.js";
import { buildModelGraph } from "../../src/engine/model-graph.js";
import { adamw } from "../../src/engine/optim/adamw.js";
import { constantLr } from "../../src/engine/optim/schedules.js";
import { createGenerator, generatorFromState } from "../../src/engine/random/index.js";
import { createTrainingSession } from "../../src/engine/session/onnx-training-session.js";
import type { TrainingSession } from "../../src/engine/session/training-session.js";
import { isNbresumeError } from "../../src/errors.js";
import { decodePng } from "../../src/render/image.js";
import { RunErrorCode, runMessages as msg } from "../../src/run/messages.js";
import { BakedGraphs, graphKey, type GraphSource } from "../../src/run/preview-graphs.js";
import { diffusionSamplesKind } from "../../src/run/previews/diffusion-samples.js";
import type { PreparedPreview, PreviewResult } from "../../src/run/previews/preview-kind.js";
import { createPreviewer, type PreviewSettings } from "../../src/run/run-previews.js";
import type { SamplerInit } from "../../src/run/sampler-protocol.js";
import { SamplerThread, type DrawOutcome } from "../../src/run/sampler-thread.js";
import type { TensorGroup } from "../../src/tensor.js";
import { mnistOnce } from "./mlp-run.js";

const model = ddpm({ unet: "tiny" });
/** The demo's preview: 16 samples, 20 DDIM steps, η = 1 (noise drawn at every step). */
const prepared: PreparedPreview = diffusionSamplesKind.prepare(model.previews![0]!.settings, model, undefined, { samples: 16, samplerSteps: 20, eta: 1 });
const built = buildModelGraph(model, "sample", 16);
const source: GraphSource = { bytes: built.bytes, parameters: built.record.parameters };

function init(overrides: Partial<SamplerInit> = {}): Omit<SamplerInit, "stop"> {
  return { previews: [prepared], graphs: { [graphKey("sample", 16)]: source }, threads: 1, ...overrides };
}

function bits(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function samples(outcome: DrawOutcome): Float32Array {
  assert.ok("results" in outcome, `expected results, got ${JSON.stringify(outcome)}`);
  return outcome.results[0]!.tensors["samples"]!.data as Float32Array;
}

/** A sampler thread whose stopping fails the test (it should not stop in these tests). */
function thread(overrides: Partial<SamplerInit> = {}): SamplerThread {
  return new SamplerThread(init(overrides), (detail) => assert.fail(`the sampler thread stopped: ${detail}`));
}

describe("run/sampler-thread: previews computed on a thread of their own", function () {
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

  async function here(threads: number): Promise<PreviewResult> {
    const graphs = new BakedGraphs(new Map([[graphKey("sample", 16), source]]), weights, threads);
    try {
      return await diffusionSamplesKind.compute(prepared, {
        run: (g, n, feeds) => graphs.run(g, n, feeds),
        rng: generatorFromState(rng),
        stopped: () => false,
      });
    } finally {
      await graphs.release();
    }
  }

  it("computes bitwise the same samples as this thread (2 onnxruntime threads) for the same weights and seed, from the stored graph and a copy of the weights", async function () {
    const mine = (await here(2)).tensors["samples"]!.data as Float32Array;
    // Not a trivial comparison: 16 distinct, finite images.
    assert.equal(mine.length, 16 * 28 * 28);
    assert.ok(mine.every(Number.isFinite));
    assert.notDeepEqual(mine.subarray(0, 784), mine.subarray(784, 2 * 784));
    const t = thread();
    try {
      const snapshot = new SnapshotBuffer().take([["model", weights]]);
      assert.ok(bits(samples(await t.draw(snapshot, [rng]))).equals(bits(mine)), "samples from the thread differ from this thread's");
    } finally {
      await t.close();
    }
  });

  it("keeps one request in flight: the next waits, a newer one replaces it (skipped as superseded), and both computed match", async function () {
    const t = thread();
    try {
      const snapshot = new SnapshotBuffer().take([["model", weights]]);
      const first = t.draw(snapshot, [rng]);
      const second = t.draw(snapshot, [rng]);
      const third = t.draw(snapshot, [rng]);
      assert.deepEqual(await second, { skipped: "superseded" });
      assert.ok(bits(samples(await first)).equals(bits(samples(await third))));
    } finally {
      await t.close();
    }
  });

  it("fails every request with RUN_SAMPLER_STOPPED and reports the reason once when its thread cannot start", async function () {
    const reports: string[] = [];
    const t = new SamplerThread(
      init(),
      (detail) => reports.push(detail),
      () => new Worker("throw new Error('no sampler here')", { eval: true }),
    );
    try {
      const snapshot = new SnapshotBuffer().take([["model", weights]]);
      for (let i = 0; i < 2; i++) {
        await assert.rejects(
          t.draw(snapshot, [rng]),
          (e: unknown) => isNbresumeError(e, RunErrorCode.SAMPLER_STOPPED) && e.message === msg.samplerStopped("no sampler here"),
        );
      }
      assert.deepEqual(reports, ["no sampler here"]);
      assert.equal(t.stopped, "no sampler here");
    } finally {
      await t.close();
    }
  });

  it("close() ends a preview in flight as skipped without waiting for it, and its thread exits", async function () {
    // 1,000 DDIM steps: seconds on one onnxruntime thread, so it is surely still being computed.
    const long = diffusionSamplesKind.prepare(model.previews![0]!.settings, model, undefined, { samples: 16, samplerSteps: 1000, eta: 1 });
    const t = thread({ previews: [long] });
    const snapshot = new SnapshotBuffer().take([["model", weights]]);
    const drawing = t.draw(snapshot, [rng]);
    await t.ready;
    await t.close();
    assert.deepEqual(await drawing, { skipped: "closed" });
    assert.equal(t.exited, true, "the worker thread has exited");
    assert.deepEqual(await t.draw(snapshot, [rng]), { skipped: "closed" });
  });

  it("a previewer whose sampler thread cannot start draws its previews on this thread, says so once, and draws the same grids", async function () {
    const fallbacks: string[] = [];
    const settings = (sampler: "thread" | "main"): PreviewSettings => ({
      overrides: { samples: 16, samplerSteps: 20, eta: 1 },
      threads: undefined,
      generator: (label) => createGenerator(7).fork(label),
      data: undefined,
      sampler,
      onFallback: (detail) => fallbacks.push(detail),
      onUnusable: (kind, detail) => assert.fail(`${kind}: ${detail}`),
      graph: (need) => {
        const b = buildModelGraph(model, need.graph, need.batchSize);
        return { bytes: b.bytes, parameters: b.record.parameters };
      },
      startSampler: () => new Worker("throw new Error('no sampler here')", { eval: true }),
    });
    const failing = createPreviewer(model, settings("thread"));
    const main = createPreviewer(model, settings("main"));
    assert.ok(!("reason" in failing) && !("reason" in main));
    try {
      failing.start();
      const a = await failing.request(weights, 3, "step 3");
      const b = await failing.request(weights, 3, "step 3");
      const c = await main.request(weights, 3, "step 3");
      assert.deepEqual(fallbacks, ["no sampler here"]);
      assert.equal(failing.offThread, false);
      assert.ok("previews" in c);
      for (const g of [a, b]) {
        assert.ok("previews" in g);
        assert.equal(g.offThread, false);
        const png = g.previews[0]!.bundle["image/png"] as Uint8Array;
        assert.ok(Buffer.from(png).equals(Buffer.from(c.previews[0]!.bundle["image/png"] as Uint8Array)), "the fallback grid differs from the main-thread one");
        const decoded = await decodePng(png);
        assert.deepEqual([decoded.width, decoded.height], [g.previews[0]!.image!.width, g.previews[0]!.image!.height]);
      }
    } finally {
      await failing.close();
      await main.close();
    }
  });
});

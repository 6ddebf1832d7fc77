import { strict as assert } from "node:assert";
import { ddimTimesteps, sampleDdim } from "../../../src/engine/diffusion/ddim-sampler.js";
import { ddpm, SAMPLE_EPS, SAMPLE_GRAPH, SAMPLE_T, SAMPLE_X, type DiffusionSpec } from "../../../src/engine/diffusion/ddpm-model.js";
import { sampleDdpm } from "../../../src/engine/diffusion/ddpm-sampler.js";
import type { Denoiser } from "../../../src/engine/diffusion/denoiser.js";
import { diffusionMessages as msg } from "../../../src/engine/diffusion/messages.js";
import { noiseSchedule, type NoiseSchedule } from "../../../src/engine/diffusion/noise-schedule.js";
import { buildInferenceModel } from "../../../src/engine/export.js";
import type { Feeds } from "../../../src/engine/nn/model.js";
import { compileGraph } from "../../../src/engine/runtime/ort-runtime.js";
import { adamw } from "../../../src/engine/optim/adamw.js";
import { constantLr } from "../../../src/engine/optim/schedules.js";
import { createGenerator } from "../../../src/engine/random/index.js";
import { createTrainingSession } from "../../../src/engine/session/onnx-training-session.js";
import { perturbZeroParameters } from "./perturbed-session.js";
import type { BoundGraph, TrainingSession } from "../../../src/engine/session/training-session.js";
import type { Tensor } from "../../../src/tensor.js";

const SHAPE = [1, 4, 4] as const;
const PIXELS = 16;

/**
 * The exact noise predictor E[ε | x_t] for data whose pixels are independent N(μ_p, s²) (s = 0: a
 * single image μ), in closed form: x_t ~ N(√ᾱ·μ, ᾱs² + 1 − ᾱ), so
 * E[ε | x_t] = √(1−ᾱ)·(x_t − √ᾱ·μ) / (ᾱs² + 1 − ᾱ). With it a correct sampler reproduces the data
 * distribution, which checks the samplers' arithmetic independently of any network.
 */
class ExactDenoiser implements Denoiser {
  readonly visited: number[] = [];
  constructor(
    readonly batchSize: number,
    private readonly schedule: NoiseSchedule,
    private readonly mean: Float64Array,
    private readonly std: number,
  ) {}
  async run(feeds: Feeds): Promise<Record<string, Tensor>> {
    const x = feeds[SAMPLE_X]!.data as Float32Array;
    const t = Number((feeds[SAMPLE_T]!.data as BigInt64Array)[0]);
    this.visited.push(t);
    const abar = this.schedule.alphaBars[t]!;
    const scale = Math.sqrt(1 - abar) / (abar * this.std ** 2 + 1 - abar);
    const eps = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) eps[i] = scale * (x[i]! - Math.sqrt(abar) * this.mean[i % PIXELS]!);
    return { [SAMPLE_EPS]: { dtype: "float32", shape: feeds[SAMPLE_X]!.shape, data: eps } };
  }
}

function spec(steps = 1000): DiffusionSpec {
  return { schedule: noiseSchedule({ kind: "linear", steps }), imageShape: SHAPE };
}

/** A fixed image with pixel values spread over [−1, 1]. */
const POINT = Float64Array.from({ length: PIXELS }, (_, i) => -1 + (2 * i) / (PIXELS - 1));

function moments(x: Float32Array): { mean: number; std: number } {
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  return { mean, std: Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length) };
}

describe("diffusion: samplers", () => {
  it("DDIM visits S timesteps with trailing spacing, from T−1 down", () => {
    assert.deepEqual(
      ddimTimesteps(1000, 20),
      Array.from({ length: 20 }, (_, i) => 999 - 50 * i),
    );
    assert.deepEqual(ddimTimesteps(10, 10), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    assert.deepEqual(ddimTimesteps(1000, 3), [999, 666, 332]);
    assert.deepEqual(ddimTimesteps(1000, 1), [999]);
    assert.throws(() => ddimTimesteps(1000, 0), { name: "RangeError", message: msg.badSamplerSteps("sampleDdim", 0, 1000) });
    assert.throws(() => ddimTimesteps(100, 101), { message: msg.badSamplerSteps("sampleDdim", 101, 100) });
  });

  describe("with the exact denoiser of a known data distribution", () => {
    it("DDPM (all T steps, t = T−1 … 0) and DDIM-10 both return the single data image (|err| ≤ 1e-4)", async () => {
      for (const sampler of ["ddpm", "ddim"] as const) {
        const d = new ExactDenoiser(3, spec().schedule, POINT, 0);
        const out = sampler === "ddpm" ? await sampleDdpm(d, spec(), createGenerator(1)) : await sampleDdim(d, spec(), createGenerator(1), { steps: 10 });
        assert.deepEqual(out.shape, [3, ...SHAPE]);
        out.data.forEach((v, i) => assert.ok(Math.abs(v - POINT[i % PIXELS]!) <= 1e-4, `${sampler} pixel ${i}: ${v} vs ${POINT[i % PIXELS]}`));
        assert.deepEqual(d.visited, sampler === "ddpm" ? Array.from({ length: 1000 }, (_, i) => 999 - i) : ddimTimesteps(1000, 10));
      }
    });

    it("DDPM's ancestral sampling turns N(0, I) into the N(0, 0.5²) data (mean within 0.03, std within 4%)", async () => {
      const out = await sampleDdpm(new ExactDenoiser(512, spec().schedule, new Float64Array(PIXELS), 0.5), spec(), createGenerator(2), { clipDenoised: false });
      const m = moments(out.data);
      assert.ok(Math.abs(m.mean) <= 0.03, `mean ${m.mean}`);
      assert.ok(Math.abs(m.std - 0.5) <= 0.02, `std ${m.std}`);
    });

    /**
     * For Gaussian data each DDIM update is x_prev = a·x_t + σ·z with a fixed a, so the samples' std
     * follows v ← a²·v + σ² exactly. Few steps shrink it (a known DDIM trait: 0.471 at S = 50, η = 0);
     * S = T recovers 0.5 within discretisation error.
     */
    function predictedStd(steps: number, eta: number, dataStd: number): number {
      const { alphaBars } = spec().schedule;
      const taus = ddimTimesteps(1000, steps);
      let v = 1;
      taus.forEach((t, k) => {
        const ab = alphaBars[t]!;
        const next = taus[k + 1];
        const ap = next === undefined ? 1 : alphaBars[next]!;
        const vt = ab * dataStd ** 2 + 1 - ab;
        const sigma2 = eta ** 2 * ((1 - ap) / (1 - ab)) * (1 - ab / ap);
        const a = (Math.sqrt(ap * ab) * dataStd ** 2 + Math.sqrt(Math.max(0, 1 - ap - sigma2) * (1 - ab))) / vt;
        v = a * a * v + sigma2;
      });
      return Math.sqrt(v);
    }

    for (const [steps, eta] of [
      [50, 0],
      [50, 1],
      [1000, 0],
    ] as const) {
      it(`DDIM with ${steps} steps and η = ${eta} gives the std its update predicts for N(0, 0.5²) data (${predictedStd(steps, eta, 0.5).toFixed(3)}, within 3%)`, async () => {
        const rng = createGenerator(4);
        const before = JSON.stringify(rng.state());
        const out = await sampleDdim(new ExactDenoiser(512, spec().schedule, new Float64Array(PIXELS), 0.5), spec(), rng, { steps, eta, clipDenoised: false });
        const m = moments(out.data);
        const expected = predictedStd(steps, eta, 0.5);
        assert.ok(Math.abs(m.std - expected) <= 0.03 * expected, `std ${m.std}, predicted ${expected}`);
        assert.ok(Math.abs(m.mean) <= 0.03, `mean ${m.mean}`);
        if (steps === 1000) assert.ok(Math.abs(m.std - 0.5) <= 0.02, `std ${m.std}`);
        // x_T is drawn; with η > 0 every step draws too, so the stream moves further.
        const afterStart = createGenerator(4);
        afterStart.fillNormal(new Float32Array(512 * PIXELS), 0, 1);
        assert.equal(JSON.stringify(rng.state()) === JSON.stringify(afterStart.state()), eta === 0);
        assert.notEqual(JSON.stringify(rng.state()), before);
      });
    }
  });

  describe("with a UNet's sample graph (bound to a session's parameters)", () => {
    const model = ddpm({ unet: "tiny", schedule: { kind: "linear", steps: 40 } });
    let session: TrainingSession<unknown>;
    let denoiser: BoundGraph;
    before(async () => {
      session = await createTrainingSession({ model, optimizer: adamw(), schedule: constantLr(1e-3), batchSize: 2, rng: createGenerator(1) });
      perturbZeroParameters(session, 11);
      denoiser = await session.graph("sample", 2);
    });
    after(async () => {
      await session.release();
    });

    const bytes = (t: Tensor): Buffer => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

    it("gives bitwise the same images for the same seed and different ones for another seed (DDPM and DDIM η = 0.5)", async () => {
      const a = await sampleDdpm(denoiser, model, createGenerator(7));
      const b = await sampleDdpm(denoiser, model, createGenerator(7));
      const c = await sampleDdpm(denoiser, model, createGenerator(8));
      assert.ok(bytes(a).equals(bytes(b)));
      assert.ok(!bytes(a).equals(bytes(c)));
      const d = await sampleDdim(denoiser, model, createGenerator(7), { steps: 10, eta: 0.5 });
      const e = await sampleDdim(denoiser, model, createGenerator(7), { steps: 10, eta: 0.5 });
      assert.ok(bytes(d).equals(bytes(e)));
    });

    it("DDIM with η = 0 is a deterministic function of x_T: it draws nothing from the generator", async () => {
      const xT = createGenerator(9).fillNormal(new Float32Array(2 * 784), 0, 1);
      const r1 = createGenerator(1);
      const r2 = createGenerator(2);
      const s1 = JSON.stringify(r1.state());
      const a = await sampleDdim(denoiser, model, r1, { steps: 12, initialNoise: xT });
      const b = await sampleDdim(denoiser, model, r2, { steps: 12, initialNoise: xT });
      assert.ok(bytes(a).equals(bytes(b)));
      assert.equal(JSON.stringify(r1.state()), s1);
      // Drawing x_T from a generator seeded like the one that made xT gives the same images again.
      assert.ok(bytes(await sampleDdim(denoiser, model, createGenerator(9), { steps: 12 })).equals(bytes(a)));
    });

    it("returns finite images in [−1, 1] when clipping x̂_0 (the default) and finite ones without", async () => {
      const clipped = await sampleDdim(denoiser, model, createGenerator(3), { steps: 10 });
      assert.deepEqual(clipped.shape, [2, 1, 28, 28]);
      assert.ok(clipped.data.every((v) => v >= -1 && v <= 1));
      const ddpmClipped = await sampleDdpm(denoiser, model, createGenerator(3));
      assert.ok(ddpmClipped.data.every((v) => v >= -1 && v <= 1));
      const raw = await sampleDdim(denoiser, model, createGenerator(3), { steps: 10, clipDenoised: false });
      assert.ok(raw.data.every(Number.isFinite));
    });

    it("runs the same on an exported inference model of the sample graph (weights baked in; |difference| ≤ 1e-4)", async () => {
      const exported = buildInferenceModel(model, session.parameters(), { graph: SAMPLE_GRAPH, batchSize: 2 });
      const compiled = await compileGraph(exported.bytes);
      try {
        const standalone: Denoiser = { batchSize: 2, run: (feeds) => compiled.run(feeds) };
        const a = await sampleDdim(standalone, model, createGenerator(6), { steps: 8 });
        const b = await sampleDdim(denoiser, model, createGenerator(6), { steps: 8 });
        a.data.forEach((v, i) => assert.ok(Math.abs(v - b.data[i]!) <= 1e-4, `pixel ${i}: ${v} vs ${b.data[i]}`));
      } finally {
        await compiled.release();
      }
    });

    it("reports progress after every network evaluation", async () => {
      const seen: [number, number][] = [];
      await sampleDdim(denoiser, model, createGenerator(3), { steps: 4, onStep: (done, total) => seen.push([done, total]) });
      assert.deepEqual(seen, [
        [1, 4],
        [2, 4],
        [3, 4],
        [4, 4],
      ]);
    });

    it("rejects a bad η, an x_T of the wrong size and a graph without an eps output", async () => {
      await assert.rejects(sampleDdim(denoiser, model, createGenerator(1), { eta: 2 }), { name: "RangeError", message: msg.badEta(2) });
      await assert.rejects(sampleDdim(denoiser, model, createGenerator(1), { initialNoise: new Float32Array(5) }), {
        message: msg.badInitialNoise(2 * 784, 5),
      });
      const wrong: Denoiser = { batchSize: 2, run: async () => ({}) };
      await assert.rejects(sampleDdpm(wrong, model, createGenerator(1)), { message: msg.badDenoiserOutput(SAMPLE_EPS, [2, 1, 28, 28], undefined) });
    });
  });
});

/**
 * UNet / DDPM benchmarks.
 *
 *   node --import tsx bench/unet.bench.ts [--json] [--presets tiny,small] [--batches 32,64] [--ddpm] [--no-tfjs]
 *
 * For each preset and batch size: the fused training step (DDPM loss, AdamW) against one forward
 * pass of the same UNet at the same batch (the "sample" graph) in the same run, the share of the
 * step spent inside onnxruntime's run() (the rest is JavaScript: drawing the timesteps and noise,
 * feeding, swapping buffers), and the same model's step and forward on TensorFlow.js's wasm
 * backend (bench/tfjs-unet.ts). Then sampling 16 images: DDIM with 20 and 50 steps, and with --ddpm
 * the full 1000-step ancestral DDPM. Each figure is the best over rounds of the mean time per
 * iteration: on a shared machine other processes only ever add time, so the fastest round is the
 * closest to the model's own cost. Each row also gives the process CPU time per iteration (user +
 * system), which waiting for a busy machine does not inflate: with --threads 1 it is the work
 * itself, comparable with TF.js's wasm backend (one thread).
 */
import { sampleDdim } from "../src/engine/diffusion/ddim-sampler.js";
import { ddpm, type DiffusionBatch } from "../src/engine/diffusion/ddpm-model.js";
import { sampleDdpm } from "../src/engine/diffusion/ddpm-sampler.js";
import { isUNetPreset, type UNetPreset } from "../src/engine/models/unet.js";
import { adamw } from "../src/engine/optim/adamw.js";
import { constantLr } from "../src/engine/optim/schedules.js";
import { createGenerator } from "../src/engine/random/index.js";
import { compileGraph } from "../src/engine/runtime/ort-runtime.js";
import type { CompiledGraph } from "../src/engine/runtime/runtime.js";
import { createTrainingSession, type GraphCompiler } from "../src/engine/session/onnx-training-session.js";
import { tfjsUNet } from "./tfjs-unet.js";

const args = process.argv.slice(2);
const json = args.includes("--json");
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const presets = option("--presets", "tiny,small").split(",").filter(isUNetPreset) as UNetPreset[];
const batches = option("--batches", "32,64").split(",").map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
const withDdpm = args.includes("--ddpm");
const withTfjs = !args.includes("--no-tfjs");
const threads = Number(option("--threads", "2"));

interface Row {
  readonly suite: string;
  readonly name: string;
  /** Wall-clock milliseconds per iteration (best round). */
  readonly ms: number;
  /** Process CPU milliseconds per iteration in that round. */
  readonly cpuMs: number;
  readonly note?: string;
}

function report(row: Row): void {
  if (json) console.log(JSON.stringify(row));
  else console.log(`${row.suite.padEnd(5)} ${row.name.padEnd(44)} ${row.ms.toFixed(2).padStart(9)} ms (cpu ${row.cpuMs.toFixed(1).padStart(8)} ms)  ${row.note ?? ""}`);
}

interface Timing {
  readonly ms: number;
  readonly cpuMs: number;
}

/** The round with the best mean wall time of `iterations` calls (after `warmup` calls), and its CPU time. */
async function time(fn: () => Promise<unknown>, options: { warmup: number; rounds: number; iterations: number }): Promise<Timing> {
  for (let i = 0; i < options.warmup; i++) await fn();
  let best: Timing = { ms: Infinity, cpuMs: Infinity };
  for (let r = 0; r < options.rounds; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < options.iterations; i++) await fn();
    const ms = (performance.now() - t0) / options.iterations;
    const cpu = process.cpuUsage(c0);
    if (ms < best.ms) best = { ms, cpuMs: (cpu.user + cpu.system) / 1000 / options.iterations };
  }
  return best;
}

/** A compiler whose graphs add the time spent inside run() to `clock.ms`. */
function timedCompiler(clock: { ms: number }): GraphCompiler {
  return async (bytes, options) => {
    const inner = await compileGraph(bytes, options);
    const timed: CompiledGraph = {
      inputNames: inner.inputNames,
      outputNames: inner.outputNames,
      release: () => inner.release(),
      run: async (feeds, fetches) => {
        const t0 = performance.now();
        try {
          return await inner.run(feeds, fetches);
        } finally {
          clock.ms += performance.now() - t0;
        }
      },
    };
    return timed;
  };
}

function imageBatches(n: number, count: number): DiffusionBatch[] {
  const rng = createGenerator("bench-images");
  return Array.from({ length: count }, () => ({ images: rng.fillUniform(new Float32Array(n * 784), 0, 1) }));
}

for (const preset of presets) {
  const model = ddpm({ unet: preset });
  for (const n of batches) {
    const clock = { ms: 0 };
    const t0 = performance.now();
    const session = await createTrainingSession({ model, optimizer: adamw({}), schedule: constantLr(1e-3), batchSize: n, rng: createGenerator(1), compile: timedCompiler(clock), threads });
    const created = performance.now() - t0;
    const params = session.parameterSpecs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
    const data = imageBatches(n, 4);
    let i = 0;
    const runs = n >= 64 ? { warmup: 3, rounds: 5, iterations: 4 } : { warmup: 3, rounds: 5, iterations: 8 };
    const total = runs.rounds * runs.iterations;
    let wall = 0;
    const step = await time(async () => {
      if (i === runs.warmup) { clock.ms = 0; wall = performance.now(); }
      await session.step(data[i++ % data.length]!);
      if (i === runs.warmup + total) wall = performance.now() - wall;
    }, runs);
    const runShare = clock.ms / wall;
    const r = (name: string, t: Timing, note: string): void => report({ suite: "unet", name, ms: t.ms, cpuMs: t.cpuMs, note });
    const denoiser = await session.graph("sample", n);
    const x = { dtype: "float32" as const, shape: [n, 1, 28, 28], data: createGenerator(2).fillNormal(new Float32Array(n * 784), 0, 1) };
    const t = { dtype: "int64" as const, shape: [n], data: new BigInt64Array(n).fill(500n) };
    const forward = await time(() => denoiser.run({ x, t }), runs);
    r(`${preset} batch ${n}: forward (sample graph)`, forward, `${params.toLocaleString("en")} parameters; session created in ${created.toFixed(0)} ms; ${threads} thread(s)`);
    r(`${preset} batch ${n}: training step (DDPM, AdamW)`, step, `${(step.ms / forward.ms).toFixed(2)}× forward (cpu: ${(step.cpuMs / forward.cpuMs).toFixed(2)}×); ${(100 * runShare).toFixed(0)}% inside onnxruntime run()`);
    await session.release();
    if (withTfjs) {
      const tf = await tfjsUNet(model.unet, n);
      const tfRuns = { warmup: 1, rounds: 3, iterations: 1 };
      const tfStep = await time(async () => tf.step(), tfRuns);
      const tfForward = await time(async () => tf.forward(), tfRuns);
      tf.release();
      r(`${preset} batch ${n}: TF.js wasm training step`, tfStep, `${(tfStep.ms / step.ms).toFixed(1)}× our step (cpu: ${(tfStep.cpuMs / step.cpuMs).toFixed(1)}×); its forward ${tfForward.ms.toFixed(1)} ms (cpu ${tfForward.cpuMs.toFixed(1)} ms)`);
    }
  }

  const session = await createTrainingSession({ model, optimizer: adamw({}), schedule: constantLr(1e-3), batchSize: 16, rng: createGenerator(1), threads });
  const denoiser = await session.graph("sample", 16);
  for (const steps of [20, 50]) {
    const t = await time(() => sampleDdim(denoiser, model, createGenerator(3), { steps }), { warmup: 1, rounds: 3, iterations: 1 });
    report({ suite: "unet", name: `${preset}: DDIM-${steps}, 16 images`, ms: t.ms, cpuMs: t.cpuMs, note: `${(t.ms / steps).toFixed(1)} ms per network evaluation` });
  }
  if (withDdpm) {
    const t = await time(() => sampleDdpm(denoiser, model, createGenerator(3)), { warmup: 0, rounds: 1, iterations: 1 });
    report({ suite: "unet", name: `${preset}: DDPM-${model.schedule.steps}, 16 images`, ms: t.ms, cpuMs: t.cpuMs });
  }
  await session.release();
}

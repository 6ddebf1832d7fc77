/**
 * UNet / DDPM benchmarks (`npm run bench` calls `unetBench`; standalone:)
 *
 *   node --import tsx bench/unet.bench.ts [--json] [--quick] [--presets tiny,small] [--batches 32,64]
 *                                         [--threads N] [--ddpm] [--no-tfjs]
 *
 * For each preset and batch size: the fused training step (DDPM loss, AdamW) against one forward
 * pass of the same UNet at the same batch (the "sample" graph) in the same run, the share of the
 * step spent inside onnxruntime's run() (the rest is JavaScript: drawing the timesteps and noise,
 * feeding, swapping buffers), and the same model's step and forward on TensorFlow.js's wasm
 * backend (bench/tfjs-unet.ts). Then sampling 16 images: DDIM with 20 and 50 steps, and with --ddpm
 * the full 1000-step ancestral DDPM.
 *
 * Each figure is the best over rounds of the mean time per iteration: on a shared machine other
 * processes only ever add time, so the fastest round is the closest to the model's own cost. Each
 * row also gives the process CPU time per iteration (user + system), which waiting for a busy
 * machine does not inflate: with --threads 1 it is the work itself, comparable with TF.js's wasm
 * backend (one thread).
 */
import "../src/engine/register-builtins.js";
import { sampleDdim } from "../src/engine/diffusion/ddim-sampler.js";
import { ddpm, type DiffusionBatch } from "../src/engine/diffusion/ddpm-model.js";
import { sampleDdpm } from "../src/engine/diffusion/ddpm-sampler.js";
import { isUNetPreset, type UNetPreset } from "../src/engine/models/unet.js";
import { adamw } from "../src/engine/optim/adamw.js";
import { constantLr } from "../src/engine/optim/schedules.js";
import { createGenerator } from "../src/engine/random/index.js";
import { createTrainingSession } from "../src/engine/session/onnx-training-session.js";
import { tensor } from "../src/tensor.js";
import { type BenchRow, cliOption, isMain, printRows } from "./bench-row.js";
import { tfjsUNet } from "./tfjs-unet.js";
import { timedCompiler } from "./timed-compiler.js";

export interface UNetBenchOptions {
  /** Small sizes and few rounds: checks the bench works (default false). */
  readonly quick?: boolean;
  /** Default: the quick run's tiny, else tiny and small. */
  readonly presets?: readonly UNetPreset[];
  /** Default: 32 when quick, else 32 and 64. */
  readonly batches?: readonly number[];
  /** onnxruntime intra-op threads (default 2). */
  readonly threads?: number;
  /** Time TF.js's wasm backend on the same model (default: not when quick). */
  readonly tfjs?: boolean;
  /** Time the full 1000-step DDPM sampler too (default false). */
  readonly ddpm?: boolean;
}

interface Timing {
  /** Wall-clock milliseconds per iteration, best round. */
  readonly ms: number;
  /** Process CPU milliseconds per iteration in that round. */
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

function imageBatches(n: number, count: number): DiffusionBatch[] {
  const rng = createGenerator("bench-images");
  return Array.from({ length: count }, () => ({ columns: { images: tensor("float32", [n, 784], rng.fillUniform(new Float32Array(n * 784), 0, 1)) } }));
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_|_$/g, "");
}

export async function unetBench(options: UNetBenchOptions = {}): Promise<BenchRow[]> {
  const quick = options.quick ?? false;
  const presets = options.presets ?? (quick ? ["tiny"] : ["tiny", "small"]);
  const batches = options.batches ?? (quick ? [32] : [32, 64]);
  const threads = options.threads ?? 2;
  const withTfjs = options.tfjs ?? !quick;
  const rows: BenchRow[] = [];
  const row = (name: string, t: Timing, note: string, extra: Record<string, number> = {}): void => {
    rows.push({ bench: "unet", id: slug(name), name, ms: t.ms, cpuMs: t.cpuMs, ...extra, note });
  };

  for (const preset of presets) {
    const model = ddpm({ unet: preset });
    for (const n of batches) {
      const clock = { ms: 0 };
      const t0 = performance.now();
      const session = await createTrainingSession({
        model,
        optimizer: adamw({}),
        schedule: constantLr(1e-3),
        batchSize: n,
        rng: createGenerator(1),
        compile: timedCompiler(clock),
        threads,
      });
      const created = performance.now() - t0;
      const params = session.parameterSpecs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
      const data = imageBatches(n, 4);
      const runs = quick
        ? { warmup: 1, rounds: 2, iterations: 2 }
        : n >= 64
          ? { warmup: 3, rounds: 5, iterations: 4 }
          : { warmup: 3, rounds: 5, iterations: 8 };
      let i = 0;
      let wall = 0;
      const total = runs.rounds * runs.iterations;
      const step = await time(async () => {
        if (i === runs.warmup) {
          clock.ms = 0;
          wall = performance.now();
        }
        await session.step(data[i++ % data.length]!);
        if (i === runs.warmup + total) wall = performance.now() - wall;
      }, runs);
      const runShare = clock.ms / wall;
      const denoiser = await session.graph("sample", n);
      const x = { dtype: "float32" as const, shape: [n, 1, 28, 28], data: createGenerator(2).fillNormal(new Float32Array(n * 784), 0, 1) };
      const t = { dtype: "int64" as const, shape: [n], data: new BigInt64Array(n).fill(500n) };
      const forward = await time(() => denoiser.run({ x, t }), runs);
      await session.release();
      row(
        `${preset} batch ${n}: forward (sample graph)`,
        forward,
        `${params.toLocaleString("en")} parameters; session created in ${created.toFixed(0)} ms; ${threads} thread(s)`,
        { parameters: params },
      );
      row(
        `${preset} batch ${n}: training step (DDPM, AdamW)`,
        step,
        `${(step.ms / forward.ms).toFixed(2)}× forward (cpu: ${(step.cpuMs / forward.cpuMs).toFixed(2)}×); ${(100 * runShare).toFixed(0)}% inside onnxruntime run()`,
        { stepOverForward: step.ms / forward.ms, ortRunShare: runShare },
      );
      if (withTfjs) {
        const tf = await tfjsUNet(model.unet, n);
        const tfRuns = { warmup: 1, rounds: 3, iterations: 1 };
        const tfStep = await time(async () => tf.step(), tfRuns);
        const tfForward = await time(async () => tf.forward(), tfRuns);
        tf.release();
        row(
          `${preset} batch ${n}: TF.js wasm training step`,
          tfStep,
          `${(tfStep.ms / step.ms).toFixed(1)}× our step (cpu: ${(tfStep.cpuMs / step.cpuMs).toFixed(1)}×); its forward ${tfForward.ms.toFixed(1)} ms (cpu ${tfForward.cpuMs.toFixed(1)} ms)`,
          { overOurStep: tfStep.ms / step.ms, cpuOverOurStep: tfStep.cpuMs / step.cpuMs },
        );
      }
    }

    const session = await createTrainingSession({ model, optimizer: adamw({}), schedule: constantLr(1e-3), batchSize: 16, rng: createGenerator(1), threads });
    const denoiser = await session.graph("sample", 16);
    for (const steps of quick ? [20] : [20, 50]) {
      const t = await time(() => sampleDdim(denoiser, model, createGenerator(3), { steps }), { warmup: 1, rounds: quick ? 1 : 3, iterations: 1 });
      row(`${preset}: DDIM-${steps}, 16 images`, t, `${(t.ms / steps).toFixed(1)} ms per network evaluation`);
    }
    if (options.ddpm === true) {
      const t = await time(() => sampleDdpm(denoiser, model, createGenerator(3)), { warmup: 0, rounds: 1, iterations: 1 });
      row(`${preset}: DDPM-${model.schedule.steps}, 16 images`, t, `${(t.ms / model.schedule.steps).toFixed(1)} ms per network evaluation`);
    }
    await session.release();
  }
  return rows;
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const value = (name: string): string | undefined => cliOption(name, args);
  const presets = value("--presets")?.split(",");
  if (presets !== undefined && !presets.every(isUNetPreset)) throw new TypeError(`--presets must list tiny and/or small, got ${presets.join(",")}`);
  const rows = await unetBench({
    quick: args.includes("--quick"),
    presets: presets,
    batches: value("--batches")?.split(",").map(Number),
    threads: value("--threads") === undefined ? undefined : Number(value("--threads")),
    tfjs: args.includes("--no-tfjs") ? false : undefined,
    ddpm: args.includes("--ddpm"),
  });
  printRows(rows, args.includes("--json"));
}

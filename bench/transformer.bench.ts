/**
 * Char transformer benchmark (`npm run bench` calls `transformerBench`; standalone:)
 *
 *   node --import tsx bench/transformer.bench.ts [--json] [--quick] [--threads N] [--rounds N] [--no-tfjs] [--no-torch]
 *
 * The char-level GPT of bench/char-transformer-model.ts (4 layers, d 128, 4 heads, context 128,
 * vocabulary 96, batch 32; --quick: 2 layers, d 64, context 32, batch 8) trained by the real
 * TrainingSession with AdamW on onnxruntime (2 threads by default), against, in the same run:
 * - its forward pass: the loss graph without backward or update (`session.evaluate()`);
 * - the same model, loss and optimizer on TensorFlow.js's wasm backend (bench/tfjs-transformer.ts,
 *   SIMD, one thread), interleaved round by round with ours;
 * - the same model on PyTorch (CPU, the same thread count, eager mode with autograd), run by
 *   bench/torch-transformer.py in a child process with Debian's /usr/bin/python3, where
 *   python3-torch is installed (the row says it was skipped otherwise), OpenMP and BLAS given the
 *   same thread count, OpenMP waiting passively.
 * Each figure is the best round's mean time per iteration (other jobs on a shared machine only ever
 * add time), with the median round and the CPU time per iteration of the best round beside it;
 * TF.js's steps take seconds, so it runs one step in each of the first three rounds only.
 * The step row also gives the share of the step spent inside onnxruntime's run().
 */
import "../src/engine/register-builtins.js";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { charTransformer, textWindows, type CharTransformerConfig, type TokenBatch } from "./char-transformer-model.js";
import { adamw } from "../src/engine/optim/adamw.js";
import { constantLr } from "../src/engine/optim/schedules.js";
import { createGenerator } from "../src/engine/random/index.js";
import { createTrainingSession } from "../src/engine/session/onnx-training-session.js";
import { type BenchRow, cliOption, isMain, median, printRows } from "./bench-row.js";
import { tfjsTransformer } from "./tfjs-transformer.js";
import { timedCompiler } from "./timed-compiler.js";

export interface TransformerBenchOptions {
  /** Small model, few rounds: checks the bench works, not the numbers (default false). */
  readonly quick?: boolean;
  /** onnxruntime intra-op threads, and PyTorch's (default 2). */
  readonly threads?: number;
  /** Rounds of timing (default 5; 2 when quick). */
  readonly rounds?: number;
  /** Time TF.js wasm on the same model (default true). */
  readonly tfjs?: boolean;
  /** Time PyTorch on the same model where python3-torch is installed (default true). */
  readonly torch?: boolean;
}

/** The benchmark's model (and the quick run's). */
export const TRANSFORMER_BENCH = { model: { vocab: 96, context: 128, dim: 128, layers: 4, heads: 4 }, batch: 32 } as const;
const QUICK = { model: { vocab: 96, context: 32, dim: 64, layers: 2, heads: 4 }, batch: 8 } as const;
const PYTHON = "/usr/bin/python3";
const TORCH_SCRIPT = fileURLToPath(new URL("./torch-transformer.py", import.meta.url));

interface Contender {
  readonly name: string;
  /** Calls per round. */
  readonly iterations: number;
  /** Rounds it takes part in (default all): TF.js's seconds-long steps need fewer. */
  readonly rounds?: number;
  run(): unknown; // a promise is awaited
}

interface Timing {
  /** The best round's mean wall time per call. */
  readonly ms: number;
  readonly medianMs: number;
  /** Process CPU time per call in the best round. */
  readonly cpuMs: number;
}

/** Rounds of every contender in turn, so a burst of load from other jobs hits all of them alike. */
async function race(contenders: readonly Contender[], rounds: number): Promise<Map<string, Timing>> {
  const wall = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const cpu = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of contenders) {
      if (r >= (c.rounds ?? rounds)) continue;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < c.iterations; i++) await c.run();
      wall.get(c.name)!.push((performance.now() - t0) / c.iterations);
      const used = process.cpuUsage(c0);
      cpu.get(c.name)!.push((used.user + used.system) / 1000 / c.iterations);
    }
  }
  return new Map(
    contenders.map((c) => {
      const w = wall.get(c.name)!;
      const best = w.indexOf(Math.min(...w));
      return [c.name, { ms: w[best]!, medianMs: median(w), cpuMs: cpu.get(c.name)![best]! }];
    }),
  );
}

interface TorchResult {
  readonly stepMs: number;
  readonly forwardMs: number;
  readonly torch: string;
  readonly threads: number;
  readonly blas: string;
}

/** The same model on PyTorch in a child process; a reason string when python3-torch is not there. */
function torchReference(config: CharTransformerConfig, batch: number, threads: number, rounds: number, iterations: number): Promise<TorchResult | string> {
  const args = JSON.stringify({ ...config, hidden: config.hidden ?? 4 * config.dim, batch, threads, rounds, iterations });
  return new Promise((resolve) => {
    // OpenMP's default spin-waiting made every op ~50× slower on this shared 2-core machine (quick
    // model: 270 vs 6.9 ms a step, measured); passive waiting is what a loaded machine needs.
    const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), OMP_WAIT_POLICY: "PASSIVE" };
    execFile(PYTHON, [TORCH_SCRIPT, args], { maxBuffer: 1 << 20, env }, (error, stdout, stderr) => {
      if (error !== null) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return resolve(`${PYTHON} not found`);
        if (/No module named 'torch'/.test(stderr)) return resolve(`python3-torch is not installed (apt-get install python3-torch)`);
        return resolve(`bench/torch-transformer.py failed: ${stderr.trim().split("\n").slice(-1)[0] ?? error.message}`);
      }
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      resolve(line === undefined ? "bench/torch-transformer.py printed no result" : (JSON.parse(line) as TorchResult));
    });
  });
}

export async function transformerBench(options: TransformerBenchOptions = {}): Promise<BenchRow[]> {
  const quick = options.quick ?? false;
  const { model: config, batch } = quick ? QUICK : TRANSFORMER_BENCH;
  const threads = options.threads ?? 2;
  const rounds = options.rounds ?? (quick ? 2 : 5);
  const iterations = quick ? 2 : 3;
  const label = `${config.layers} layers, d ${config.dim}, ${config.heads} heads, context ${config.context}, batch ${batch}`;
  const rows: BenchRow[] = [];

  const clock = { ms: 0 };
  const session = await createTrainingSession({
    model: charTransformer(config),
    optimizer: adamw({ weightDecay: 0.01 }),
    schedule: constantLr(1e-3),
    batchSize: batch,
    rng: createGenerator(1),
    threads,
    compile: timedCompiler(clock),
  });
  const parameters = session.parameterSpecs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
  const data = createGenerator("bench-text");
  const tokens = BigInt64Array.from({ length: 1 << 16 }, () => BigInt(data.int(config.vocab)));
  const batches: TokenBatch[] = Array.from({ length: 4 }, () => textWindows(tokens, batch, config.context, data));
  const evalRng = createGenerator(2);
  let i = 0;
  let inStep = 0;
  let stepWall = 0;
  const contenders: Contender[] = [
    {
      name: "step",
      iterations,
      run: async () => {
        const [c0, t0] = [clock.ms, performance.now()];
        await session.step(batches[i++ % batches.length]!);
        inStep += clock.ms - c0;
        stepWall += performance.now() - t0;
      },
    },
    { name: "forward", iterations, run: () => session.evaluate(batches[i++ % batches.length]!, evalRng) },
  ];
  const tf = options.tfjs === false ? undefined : await tfjsTransformer(config, batch);
  const tfRounds = Math.min(rounds, 3);
  if (tf !== undefined)
    contenders.push(
      { name: "tfjs step", iterations: 1, rounds: tfRounds, run: () => tf.step() },
      { name: "tfjs forward", iterations: 1, rounds: tfRounds, run: () => tf.forward() },
    );

  for (const c of contenders) for (let w = 0; w < (c.rounds === undefined ? 2 : 1); w++) await c.run();
  [inStep, stepWall] = [0, 0];
  const t = await race(contenders, rounds);
  await session.release();
  tf?.release();

  const step = t.get("step")!;
  const forward = t.get("forward")!;
  const push = (id: string, name: string, timing: Timing, note: string, extra: Record<string, number | string> = {}): void => {
    rows.push({ bench: "transformer", id, name, ms: timing.ms, medianMs: timing.medianMs, cpuMs: timing.cpuMs, ...extra, note });
  };
  push(
    "forward",
    "char transformer: forward (loss graph, no backward)",
    forward,
    `${label}; ${parameters.toLocaleString("en")} parameters; ${threads} onnxruntime thread(s)`,
    { parameters, threads },
  );
  push(
    "step",
    "char transformer: training step (AdamW)",
    step,
    `${(step.ms / forward.ms).toFixed(2)}× forward (cpu ${(step.cpuMs / forward.cpuMs).toFixed(2)}×); ${((100 * inStep) / stepWall).toFixed(0)}% inside onnxruntime run()`,
    { stepOverForward: step.ms / forward.ms, ortRunShare: inStep / stepWall },
  );
  if (tf !== undefined) {
    const [tfStep, tfForward] = [t.get("tfjs step")!, t.get("tfjs forward")!];
    push(
      "tfjs_step",
      "char transformer: TF.js wasm training step",
      tfStep,
      `${(tfStep.ms / step.ms).toFixed(1)}× our step (cpu ${(tfStep.cpuMs / step.cpuMs).toFixed(1)}×); its forward ${tfForward.ms.toFixed(0)} ms = ${(tfForward.ms / forward.ms).toFixed(1)}× ours; one wasm thread`,
      { overOurStep: tfStep.ms / step.ms, cpuOverOurStep: tfStep.cpuMs / step.cpuMs, forwardMs: tfForward.ms },
    );
  }
  if (options.torch !== false) {
    const torch = await torchReference(config, batch, threads, rounds, iterations);
    if (typeof torch === "string") {
      rows.push({ bench: "transformer", id: "torch_step", name: "char transformer: PyTorch CPU training step", skipped: true, note: `skipped: ${torch}` });
    } else {
      rows.push({
        bench: "transformer",
        id: "torch_step",
        name: "char transformer: PyTorch CPU training step",
        ms: torch.stepMs,
        forwardMs: torch.forwardMs,
        stepOverForward: torch.stepMs / torch.forwardMs,
        ourStepOverTorch: step.ms / torch.stepMs,
        torch: torch.torch,
        blas: torch.blas,
        note: `PyTorch ${torch.torch}, ${torch.threads} thread(s), BLAS ${torch.blas}: ${(torch.stepMs / torch.forwardMs).toFixed(2)}× its forward ${torch.forwardMs.toFixed(0)} ms; our step ${(step.ms / torch.stepMs).toFixed(2)}× its (run after ours, not interleaved)`,
      });
    }
  }
  return rows;
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const value = (name: string): number | undefined => (cliOption(name, args) === undefined ? undefined : Number(cliOption(name, args)));
  const rows = await transformerBench({
    quick: args.includes("--quick"),
    threads: value("--threads"),
    rounds: value("--rounds"),
    tfjs: !args.includes("--no-tfjs"),
    torch: !args.includes("--no-torch"),
  });
  printRows(rows, args.includes("--json"));
}

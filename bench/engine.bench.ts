/**
 * Engine benchmarks (the MLP; the UNet is bench/unet.bench.ts). `npm run bench` runs it through
 * bench/suite.ts via `mlpBench()`; standalone:
 *
 *   node --import tsx bench/engine.bench.ts [--json] [--quick]
 *
 * MLP (784-256-10, batch 64, AdamW): the fused training step against forward-only time of the same
 * model in the same run and against TensorFlow.js (wasm backend, SIMD) on the same model and
 * optimizer, plus where the step's time goes: onnxruntime's run() vs the session's JavaScript, and the
 * optimizer's share (the same step with plain SGD). Each figure is the mean time per iteration of a
 * round, over several rounds: the median is printed, and the best round beside it. The machine is
 * shared (2 cores), so ratios use the best rounds, which are the least disturbed by other jobs.
 * With --json every row is printed as one JSON object per line; --quick is a smoke run (few rounds).
 */
import "../src/engine/register-builtins.js";
import { execFile } from "node:child_process";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Batch } from "../src/engine/data/batch.js";
import { mlpClassifier } from "../src/engine/models/mlp-classifier.js";
import { adamw } from "../src/engine/optim/adamw.js";
import type { Optimizer } from "../src/engine/optim/optimizer.js";
import { constantLr } from "../src/engine/optim/schedules.js";
import { sgd } from "../src/engine/optim/sgd.js";
import { createGenerator } from "../src/engine/random/index.js";
import { tensor } from "../src/tensor.js";
import { isMain, printRows, type BenchRow } from "./bench-row.js";
import { createTrainingSession } from "../src/engine/session/onnx-training-session.js";
import type { LayoutKind } from "../src/engine/session/parameter-layout.js";
import { tfjsWasm } from "./tfjs-wasm.js";
import { timedCompiler } from "./timed-compiler.js";

interface Row extends BenchRow {
  /** Milliseconds per iteration (median over rounds). */
  readonly ms: number;
  /** Milliseconds per iteration in the best round. */
  readonly bestMs?: number;
  /** CPU milliseconds per iteration in the best round (see Timing.cpuBest). */
  readonly cpuMs?: number;
  /** 10th percentile of single iterations (see Timing.p10). */
  readonly p10Ms?: number;
}

type Figures = {
  readonly ms: number;
  readonly bestMs?: number;
  readonly cpuMs?: number;
  readonly p10Ms?: number;
  readonly note?: string;
  readonly [figure: string]: string | number | undefined;
};

function row(name: string, figures: Figures): Row {
  const id = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_|_$/g, "");
  return { ...figures, bench: "engine", id, name };
}

function printTable(rows: readonly Row[]): void {
  for (const r of rows) {
    const best = r.bestMs === undefined ? " ".repeat(17) : `(best ${r.bestMs.toFixed(3).padStart(7)} ms)`;
    const p10 = r.p10Ms === undefined ? " ".repeat(12) : `p10 ${r.p10Ms.toFixed(3).padStart(7)}`;
    console.log(`mlp  ${r.name.padEnd(40)} ${r.ms.toFixed(3).padStart(8)} ms ${best} ${p10}  ${r.note ?? ""}`);
  }
}

interface Timing {
  /** Median of the rounds' mean times. */
  readonly ms: number;
  /** The best round's mean time. */
  readonly best: number;
  /**
   * The best round's CPU time (user + system) per iteration, all threads of this process. With one
   * onnxruntime thread it is what the step costs without time spent waiting for a core, so it
   * varies less than wall time when other jobs share the machine.
   */
  readonly cpuBest: number;
  /**
   * The 10th percentile of single iterations: on a shared machine most of the fastest iterations ran
   * without losing the core, so this approximates the unloaded cost.
   */
  readonly p10: number;
  readonly rounds: readonly number[];
}

interface Contender {
  readonly name: string;
  readonly iterations: number;
  run(): unknown; // a promise is awaited
}

/**
 * Times contenders round-robin: every round runs each contender's `iterations` calls in turn, so a
 * burst of load from other jobs hits all of them alike. Returns each one's round means.
 */
async function race(contenders: readonly Contender[], options: { rounds: number; scale: number }): Promise<Map<string, Timing>> {
  const means = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const cpu = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const single = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < options.rounds; r++) {
    for (const c of contenders) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const n = Math.max(1, Math.round(c.iterations * options.scale));
      const times = single.get(c.name)!;
      for (let i = 0; i < n; i++) {
        const s0 = performance.now();
        await c.run();
        times.push(performance.now() - s0);
      }
      means.get(c.name)!.push((performance.now() - t0) / n);
      const used = process.cpuUsage(c0);
      cpu.get(c.name)!.push((used.user + used.system) / 1000 / n);
    }
  }
  return new Map(
    [...means].map(([name, m]) => {
      const sorted = [...single.get(name)!].sort((a, b) => a - b);
      const p10 = sorted[Math.floor(sorted.length / 10)]!;
      return [name, { ms: median(m), best: Math.min(...m), cpuBest: Math.min(...cpu.get(name)!), p10, rounds: m }];
    }),
  );
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// ---------------------------------------------------------------------------------------------
// MLP 784-256-10, batch 64
// ---------------------------------------------------------------------------------------------

const MLP = { inputSize: 784, hidden: [256], classes: 10 } as const;
const BATCH = 64;
const LR = 1e-3;
const WEIGHT_DECAY = 0.01;

function randomBatches(count: number): Batch[] {
  const rng = createGenerator("bench-data");
  return Array.from({ length: count }, (_, i) => ({
    columns: {
      images: tensor("float32", [BATCH, MLP.inputSize], rng.fillUniform(new Float32Array(BATCH * MLP.inputSize), 0, 1)),
      labels: tensor(
        "int64",
        [BATCH],
        BigInt64Array.from({ length: BATCH }, () => BigInt(rng.int(MLP.classes))),
      ),
    },
    indices: new Int32Array(BATCH),
    size: BATCH,
    epoch: 0,
    position: i,
    epochEnded: false,
  }));
}

interface StepContenders {
  readonly step: Contender;
  readonly forward: Contender;
  /** Fraction of the step's time spent inside onnxruntime's run(), since the last reset. */
  runShare(): number;
  resetClock(): void;
  release(): Promise<void>;
}

async function mlpContenders(name: string, batches: Batch[], options: { optimizer: Optimizer; layout: LayoutKind; threads: number }): Promise<StepContenders> {
  const clock = { ms: 0 };
  const session = await createTrainingSession({
    model: mlpClassifier(MLP),
    optimizer: options.optimizer,
    schedule: constantLr(LR),
    batchSize: BATCH,
    rng: createGenerator(1),
    layout: options.layout,
    threads: options.threads,
    compile: timedCompiler(clock),
  });
  const predict = await session.graph("predict", BATCH);
  let i = 0;
  let j = 0;
  let stepMs = 0;
  return {
    step: {
      name: `${name} step`,
      iterations: 100,
      run: async () => {
        const t0 = performance.now();
        await session.step(batches[i++ % batches.length]!);
        stepMs += performance.now() - t0;
      },
    },
    forward: {
      name: `${name} forward`,
      iterations: 100,
      run: async () => {
        const before = clock.ms;
        await predict.run({ images: { dtype: "float32", shape: [BATCH, MLP.inputSize], data: batches[j++ % batches.length]!.columns["images"]!.data } });
        clock.ms = before; // forward runs are not part of the step's share
      },
    },
    runShare: () => clock.ms / stepMs,
    resetClock: () => {
      clock.ms = 0;
      stepMs = 0;
    },
    release: () => session.release(),
  };
}

/**
 * The same model and optimizer on TensorFlow.js's wasm backend (SIMD, one thread), two ways: the
 * idiomatic `optimizer.minimize()` (tfjs autodiff + its Adam), and a hand-written backward pass with
 * the same matrix products followed by tfjs's Adam `applyGradients` — a stricter baseline, since it
 * skips autodiff's bookkeeping. Both apply AdamW's decoupled decay to the weights before the step.
 */
async function tfjsContenders(batches: Batch[]): Promise<{ contenders: Contender[]; release(): void }> {
  const tf = await tfjsWasm();
  const [inputs, hidden, classes] = [MLP.inputSize, MLP.hidden[0], MLP.classes];
  const bound1 = 1 / Math.sqrt(inputs);
  const bound2 = 1 / Math.sqrt(hidden);
  const makeVariables = (prefix: string) => ({
    w1: tf.variable(tf.randomUniform([inputs, hidden], -bound1, bound1), true, `${prefix}w1`),
    b1: tf.variable(tf.randomUniform([hidden], -bound1, bound1), true, `${prefix}b1`),
    w2: tf.variable(tf.randomUniform([hidden, classes], -bound2, bound2), true, `${prefix}w2`),
    b2: tf.variable(tf.randomUniform([classes], -bound2, bound2), true, `${prefix}b2`),
  });
  const data = batches.map((b) => ({
    x: tf.tensor2d(b.columns["images"]!.data as Float32Array, [BATCH, inputs]),
    y: tf.oneHot(tf.tensor1d(Int32Array.from(b.columns["labels"]!.data as BigInt64Array, Number), "int32"), classes),
  }));
  const decay = (v: { w1: ReturnType<typeof tf.variable>; w2: ReturnType<typeof tf.variable> }): void => {
    tf.tidy(() => {
      v.w1.assign(tf.mul(v.w1, 1 - LR * WEIGHT_DECAY));
      v.w2.assign(tf.mul(v.w2, 1 - LR * WEIGHT_DECAY));
    });
  };

  const auto = makeVariables("auto/");
  const autoOptimizer = tf.train.adam(LR, 0.9, 0.999, 1e-8);
  let i = 0;
  const minimize: Contender = {
    name: "tfjs minimize",
    iterations: 10,
    run: () => {
      const { x, y } = data[i++ % data.length]!;
      decay(auto);
      const loss = autoOptimizer.minimize(
        () => {
          const logits = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, auto.w1), auto.b1)), auto.w2), auto.b2);
          return tf.losses.softmaxCrossEntropy(y, logits);
        },
        true,
        [auto.w1, auto.b1, auto.w2, auto.b2],
      );
      loss!.dataSync();
      loss!.dispose();
    },
  };

  const manual = makeVariables("manual/");
  const manualOptimizer = tf.train.adam(LR, 0.9, 0.999, 1e-8);
  let j = 0;
  const handWritten: Contender = {
    name: "tfjs manual",
    iterations: 10,
    run: () => {
      const { x, y } = data[j++ % data.length]!;
      const { loss, grads } = tf.tidy(() => {
        const z = tf.add(tf.matMul(x, manual.w1), manual.b1);
        const h = tf.relu(z);
        const logits = tf.add(tf.matMul(h, manual.w2), manual.b2);
        const logp = tf.logSoftmax(logits);
        const loss = tf.neg(tf.mean(tf.sum(tf.mul(y, logp), 1)));
        const dlogits = tf.div(tf.sub(tf.exp(logp), y), BATCH);
        const dz = tf.mul(tf.matMul(dlogits, manual.w2, false, true), tf.step(z));
        return {
          loss,
          grads: {
            "manual/w1": tf.matMul(x, dz, true, false),
            "manual/b1": tf.sum(dz, 0),
            "manual/w2": tf.matMul(h, dlogits, true, false),
            "manual/b2": tf.sum(dlogits, 0),
          },
        };
      });
      decay(manual);
      manualOptimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      loss.dataSync();
      tf.dispose([loss, ...Object.values(grads)]);
    },
  };
  return {
    contenders: [minimize, handWritten],
    release: () => {
      for (const t of data) tf.dispose([t.x, t.y]);
    },
  };
}

export interface MlpBenchOptions {
  /** A smoke run: few rounds and iterations (checks the bench works, not the numbers). */
  readonly quick?: boolean;
}

/** MLP 784-256-10, batch 64: our step variants, forward-only and TF.js wasm, as bench rows. */
/**
 * V8 flag the measurements run under. Measured here: in a process whose heap is small (~10 MB, like
 * this bench's), the ~2.4 MB of fresh output buffers each step (new parameters and moments) trigger a
 * mark-compact every ~15 steps, and GC takes ~30% of the step (2.2 ms instead of 1.0 ms). With a larger
 * initial old space, or any application heap of ~80 MB and more (a tslab kernel's), GC falls to ~5%.
 * So the figures are taken under this flag (in a child process when the caller lacks it), and one row
 * shows the step with V8's default heap for comparison.
 */
const HEAP_FLAG = "--initial-old-space-size=64";

export async function mlpBench(options: MlpBenchOptions = {}): Promise<Row[]> {
  if (process.execArgv.includes(HEAP_FLAG)) return measureMlp(options);
  const args = [HEAP_FLAG, "--import", "tsx", fileURLToPath(import.meta.url), "--json", ...(options.quick === true ? ["--quick"] : [])];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 16 << 20 });
  const rows = stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Row);
  rows.push(await defaultHeapStep(options.quick ?? false));
  return rows;
}

/** The AdamW step in this process, with whatever heap it has (V8's default for a plain `node`). */
async function defaultHeapStep(quick: boolean): Promise<Row> {
  const batches = randomBatches(16);
  const s = await mlpContenders("default heap", batches, { optimizer: adamw({ weightDecay: WEIGHT_DECAY }), layout: "flat", threads: 1 });
  for (let i = 0; i < (quick ? 3 : 50); i++) await s.step.run();
  const gc = gcClock();
  const t = (await race([s.step], { rounds: quick ? 2 : 5, scale: quick ? 0.1 : 1 })).get(s.step.name)!;
  const share = gc.stop();
  await s.release();
  return row("step AdamW, flat, 1 thread, V8 default heap", {
    ms: t.ms,
    bestMs: t.best,
    p10Ms: t.p10,
    gcShare: share,
    note: `GC ${(100 * share).toFixed(0)}% of the time (figures above run with ${HEAP_FLAG})`,
  });
}

/** Sums GC pauses (scavenges and mark-compacts) from now until stop(); returns their share of the wall time. */
function gcClock(): { stop(): number } {
  let paused = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR || kind === constants.NODE_PERFORMANCE_GC_MAJOR) paused += e.duration;
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  const t0 = performance.now();
  return {
    stop: () => {
      observer.disconnect();
      return paused / (performance.now() - t0);
    },
  };
}

async function measureMlp(options: MlpBenchOptions): Promise<Row[]> {
  const rows: Row[] = [];
  const report = (r: Row): void => {
    rows.push(r);
  };
  const quick = options.quick ?? false;
  const scale = quick ? 0.1 : 1;
  const batches = randomBatches(16);
  const variants: { name: string; optimizer: () => Optimizer; layout: LayoutKind; threads: number }[] = [
    { name: "AdamW, flat, 1 thread", optimizer: () => adamw({ weightDecay: WEIGHT_DECAY }), layout: "flat", threads: 1 },
    { name: "AdamW, flat, 2 threads", optimizer: () => adamw({ weightDecay: WEIGHT_DECAY }), layout: "flat", threads: 2 },
    { name: "AdamW, per-tensor, 1 thread", optimizer: () => adamw({ weightDecay: WEIGHT_DECAY }), layout: "per-tensor", threads: 1 },
    { name: "SGD (fwd+bwd+2 ops), flat, 1 thread", optimizer: () => sgd(), layout: "flat", threads: 1 },
  ];
  const sessions = await Promise.all(variants.map((v) => mlpContenders(v.name, batches, { optimizer: v.optimizer(), layout: v.layout, threads: v.threads })));
  const tfjs = await tfjsContenders(batches);
  const contenders = [...sessions.flatMap((s) => [s.step, s.forward]), ...tfjs.contenders];
  for (const c of contenders) for (let i = 0; i < (quick ? 3 : 30); i++) await c.run(); // warm up before the clocks start
  for (const s of sessions) s.resetClock();
  const gc = gcClock();
  const timings = await race(contenders, { rounds: quick ? 2 : 9, scale });
  const gcShare = gc.stop();
  const get = (name: string): Timing => timings.get(name)!;

  variants.forEach((v, k) => {
    const step = get(`${v.name} step`);
    const forward = get(`${v.name} forward`);
    const share = sessions[k]!.runShare();
    report(
      row(`step ${v.name}`, {
        ms: step.ms,
        bestMs: step.best,
        cpuMs: step.cpuBest,
        p10Ms: step.p10,
        forwardMs: forward.ms,
        forwardBestMs: forward.best,
        forwardP10Ms: forward.p10,
        stepOverForward: step.best / forward.best,
        ortRunShare: share,
        note: `${(step.best / forward.best).toFixed(2)}× forward (best ${forward.best.toFixed(3)} ms); onnxruntime run() ${(100 * share).toFixed(1)}%, JS ${(100 * (1 - share)).toFixed(1)}%`,
      }),
    );
  });
  const adamVariants = variants.slice(0, 3).map((v) => ({ name: v.name, step: get(`${v.name} step`) }));
  const fastest = adamVariants.reduce((a, b) => (b.step.best < a.step.best ? b : a));
  const tf = get("tfjs minimize");
  const tfManual = get("tfjs manual");
  report(
    row("TF.js wasm step, minimize() (autodiff)", {
      ms: tf.ms,
      bestMs: tf.best,
      cpuMs: tf.cpuBest,
      p10Ms: tf.p10,
      note: `${(tf.best / fastest.step.best).toFixed(1)}× our fastest AdamW step (${fastest.name})`,
    }),
  );
  report(
    row("TF.js wasm step, hand-written backward", {
      ms: tfManual.ms,
      bestMs: tfManual.best,
      cpuMs: tfManual.cpuBest,
      p10Ms: tfManual.p10,
      note: `${(tfManual.best / fastest.step.best).toFixed(1)}× our fastest AdamW step`,
    }),
  );
  const forward = Math.min(...variants.map((v) => get(`${v.name} forward`).best));
  const sgdStep = get(`${variants[3]!.name} step`).best;
  const adamStep = get(`${variants[0]!.name} step`).best;
  report(
    row("summary (best rounds)", {
      ms: fastest.step.best,
      target: 1.5,
      gcShare,
      heapFlag: HEAP_FLAG,
      stepOverForward: fastest.step.best / forward,
      tfjsOverStep: tf.best / fastest.step.best,
      adamwOverSgdMs: adamStep - sgdStep,
      tfjsManualOverStep: tfManual.best / fastest.step.best,
      note: `AdamW step ${fastest.step.best.toFixed(3)} ms (target ≤ 1.5) = ${(fastest.step.best / forward).toFixed(2)}× forward ${forward.toFixed(3)} ms (target ≤ 3.5); TF.js wasm ${(tf.best / fastest.step.best).toFixed(1)}× slower (hand-written: ${(tfManual.best / fastest.step.best).toFixed(1)}×; target ≥ 15); AdamW vs SGD +${(adamStep - sgdStep).toFixed(3)} ms`,
    }),
  );
  const p10Step = Math.min(...adamVariants.map((v) => v.step.p10));
  const p10Forward = Math.min(...variants.map((v) => get(`${v.name} forward`).p10));
  report(
    row("summary (p10 of single iterations)", {
      ms: p10Step,
      stepOverForward: p10Step / p10Forward,
      tfjsOverStep: tf.p10 / p10Step,
      tfjsManualOverStep: tfManual.p10 / p10Step,
      note: `AdamW step ${p10Step.toFixed(3)} ms = ${(p10Step / p10Forward).toFixed(2)}× forward ${p10Forward.toFixed(3)} ms; TF.js wasm ${(tf.p10 / p10Step).toFixed(1)}× (hand-written ${(tfManual.p10 / p10Step).toFixed(1)}×); SGD step ${get(`${variants[3]!.name} step`).p10.toFixed(3)} ms`,
    }),
  );
  tfjs.release();
  for (const s of sessions) await s.release();
  return rows;
}

if (isMain(import.meta.url)) {
  const rows = await mlpBench({ quick: process.argv.includes("--quick") });
  if (process.argv.includes("--json")) printRows(rows, true);
  else printTable(rows);
}

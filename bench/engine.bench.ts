/**
 * Engine benchmarks.
 *
 *   node --import tsx bench/engine.bench.ts [--json]
 *
 * MLP (784-256-10, batch 64, AdamW): the fused training step against forward-only time of the same
 * model in the same run and against TensorFlow.js (wasm backend, SIMD) on the same model and
 * optimizer, plus where the step's time goes: onnxruntime's run() vs the session's JavaScript, and the
 * optimizer's share (the same step with plain SGD). Each figure is the mean time per iteration of a
 * round, over several rounds: the median is printed, and the best round beside it. The machine is
 * shared (2 cores), so ratios use the best rounds, which are the least disturbed by other jobs.
 * With --json every row is printed as one JSON object per line.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Batch } from "../src/engine/data/batch.js";
import { mlpClassifier } from "../src/engine/models/mlp-classifier.js";
import { adamw } from "../src/engine/optim/adamw.js";
import type { Optimizer } from "../src/engine/optim/optimizer.js";
import { constantLr } from "../src/engine/optim/schedules.js";
import { sgd } from "../src/engine/optim/sgd.js";
import { createGenerator } from "../src/engine/random/index.js";
import { compileGraph } from "../src/engine/runtime/ort-runtime.js";
import type { CompiledGraph } from "../src/engine/runtime/runtime.js";
import { createTrainingSession, type GraphCompiler } from "../src/engine/session/onnx-training-session.js";
import type { LayoutKind } from "../src/engine/session/parameter-layout.js";

const json = process.argv.includes("--json");

interface Row {
  readonly suite: string;
  readonly name: string;
  /** Milliseconds per iteration (median over rounds). */
  readonly ms: number;
  /** Milliseconds per iteration in the best round. */
  readonly bestMs?: number;
  readonly note?: string;
  readonly [extra: string]: string | number | undefined;
}

const rows: Row[] = [];
function report(row: Row): void {
  rows.push(row);
  if (json) console.log(JSON.stringify(row));
  else console.log(`${row.suite.padEnd(5)} ${row.name.padEnd(42)} ${row.ms.toFixed(3).padStart(8)} ms ${row.bestMs === undefined ? " ".repeat(17) : `(best ${row.bestMs.toFixed(3).padStart(7)} ms)`}  ${row.note ?? ""}`);
}

interface Timing {
  /** Median of the rounds' mean times. */
  readonly ms: number;
  /** The best round's mean time. */
  readonly best: number;
  readonly rounds: readonly number[];
}

/** Median over `rounds` of the mean time of `iterations` calls, after `warmup` calls. */
async function time(fn: () => Promise<unknown> | unknown, options: { warmup: number; rounds: number; iterations: number }): Promise<Timing> {
  for (let i = 0; i < options.warmup; i++) await fn();
  const means: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < options.iterations; i++) await fn();
    means.push((performance.now() - t0) / options.iterations);
  }
  return { ms: median(means), best: Math.min(...means), rounds: means };
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
const RUNS = { warmup: 100, rounds: 9, iterations: 150 };

function randomBatches(count: number): Batch[] {
  const rng = createGenerator("bench-data");
  return Array.from({ length: count }, (_, i) => ({
    images: rng.fillUniform(new Float32Array(BATCH * MLP.inputSize), 0, 1),
    labels: BigInt64Array.from({ length: BATCH }, () => BigInt(rng.int(MLP.classes))),
    indices: new Int32Array(BATCH),
    size: BATCH,
    epoch: 0,
    position: i,
    epochEnded: false,
  }));
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

async function mlpStep(batches: Batch[], options: { optimizer: Optimizer; layout: LayoutKind; threads: number }): Promise<{ step: Timing; runShare: number; forward: Timing }> {
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
  let i = 0;
  const total = RUNS.warmup + RUNS.rounds * RUNS.iterations;
  let measured = 0;
  const step = await time(async () => {
    if (i === RUNS.warmup) { clock.ms = 0; measured = performance.now(); }
    await session.step(batches[i++ % batches.length]!);
    if (i === total) measured = performance.now() - measured;
  }, RUNS);
  const runShare = clock.ms / measured;
  const predict = await session.graph("predict", BATCH);
  let j = 0;
  const forward = await time(() => predict.run({ images: { dtype: "float32", shape: [BATCH, MLP.inputSize], data: batches[j++ % batches.length]!.images } }), RUNS);
  await session.release();
  return { step, runShare, forward };
}

/**
 * The same model and optimizer on TensorFlow.js's wasm backend. @tensorflow/tfjs-core alone ships no
 * gradient registrations usable from Node (its ESM build needs a bundler), so the backward pass is
 * written out with tfjs ops (the same matrix products autodiff would run) and the update is tfjs's own
 * Adam (`applyGradients`) after the decoupled weight decay of AdamW.
 */
async function tfjsWasmStep(batches: Batch[]): Promise<Timing> {
  const tf = await import("@tensorflow/tfjs-core");
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const dist = join(dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/";
  wasm.setWasmPaths(dist);
  await tf.setBackend("wasm");
  await tf.ready();
  const [inputs, hidden, classes] = [MLP.inputSize, MLP.hidden[0], MLP.classes];
  const bound1 = 1 / Math.sqrt(inputs);
  const bound2 = 1 / Math.sqrt(hidden);
  const w1 = tf.variable(tf.randomUniform([inputs, hidden], -bound1, bound1), true, "w1");
  const b1 = tf.variable(tf.randomUniform([hidden], -bound1, bound1), true, "b1");
  const w2 = tf.variable(tf.randomUniform([hidden, classes], -bound2, bound2), true, "w2");
  const b2 = tf.variable(tf.randomUniform([classes], -bound2, bound2), true, "b2");
  const optimizer = tf.train.adam(LR, 0.9, 0.999, 1e-8);
  const data = batches.map((b) => ({
    x: tf.tensor2d(b.images, [BATCH, inputs]),
    y: tf.oneHot(tf.tensor1d(Int32Array.from(b.labels, Number), "int32"), classes),
  }));
  let i = 0;
  const timing = await time(() => {
    const { x, y } = data[i++ % data.length]!;
    const { loss, grads } = tf.tidy(() => {
      const z = tf.add(tf.matMul(x, w1), b1);
      const h = tf.relu(z);
      const logits = tf.add(tf.matMul(h, w2), b2);
      const logp = tf.logSoftmax(logits);
      const loss = tf.neg(tf.mean(tf.sum(tf.mul(y, logp), 1)));
      const dlogits = tf.div(tf.sub(tf.exp(logp), y), BATCH);
      const dh = tf.matMul(dlogits, w2, false, true);
      const dz = tf.mul(dh, tf.step(z));
      return {
        loss,
        grads: { w1: tf.matMul(x, dz, true, false), b1: tf.sum(dz, 0), w2: tf.matMul(h, dlogits, true, false), b2: tf.sum(dlogits, 0) },
      };
    });
    // AdamW: decoupled decay of the weights (not biases) before the Adam step, as PyTorch does.
    tf.tidy(() => {
      w1.assign(tf.mul(w1, 1 - LR * WEIGHT_DECAY));
      w2.assign(tf.mul(w2, 1 - LR * WEIGHT_DECAY));
    });
    optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    loss.dataSync();
    tf.dispose([loss, grads.w1, grads.b1, grads.w2, grads.b2]);
  }, { warmup: 20, rounds: 5, iterations: 20 });
  for (const t of data) tf.dispose([t.x, t.y]);
  return timing;
}

async function mlpSuite(): Promise<void> {
  const batches = randomBatches(16);
  const variants: { name: string; optimizer: () => Optimizer; layout: LayoutKind; threads: number }[] = [
    { name: "step AdamW, flat, 1 thread", optimizer: () => adamw({ weightDecay: WEIGHT_DECAY }), layout: "flat", threads: 1 },
    { name: "step AdamW, flat, 2 threads", optimizer: () => adamw({ weightDecay: WEIGHT_DECAY }), layout: "flat", threads: 2 },
    { name: "step AdamW, per-tensor, 1 thread", optimizer: () => adamw({ weightDecay: WEIGHT_DECAY }), layout: "per-tensor", threads: 1 },
    { name: "step SGD (fwd+bwd+2 ops), flat, 1 thread", optimizer: () => sgd(), layout: "flat", threads: 1 },
  ];
  const results: { name: string; step: Timing; runShare: number; forward: Timing }[] = [];
  for (const v of variants) {
    const r = await mlpStep(batches, { optimizer: v.optimizer(), layout: v.layout, threads: v.threads });
    results.push({ name: v.name, ...r });
    report({
      suite: "mlp", name: v.name, ms: r.step.ms, bestMs: r.step.best, forwardMs: r.forward.ms, forwardBestMs: r.forward.best,
      stepOverForward: r.step.best / r.forward.best, ortRunShare: r.runShare,
      note: `${(r.step.best / r.forward.best).toFixed(2)}× forward (best ${r.forward.best.toFixed(3)} ms); onnxruntime run() ${(100 * r.runShare).toFixed(1)}%, JS ${(100 * (1 - r.runShare)).toFixed(1)}%`,
    });
  }
  const tfjs = await tfjsWasmStep(batches);
  const best = results.slice(0, 3).reduce((a, b) => (b.step.best < a.step.best ? b : a));
  report({ suite: "mlp", name: "TensorFlow.js wasm (SIMD) step, AdamW", ms: tfjs.ms, bestMs: tfjs.best, note: `${(tfjs.best / best.step.best).toFixed(1)}× our fastest AdamW step (${best.name})` });
  const sgdRow = results[3]!;
  const adamRow = results[0]!;
  const forward = Math.min(...results.map((r) => r.forward.best));
  report({
    suite: "mlp", name: "summary (best rounds)", ms: best.step.best,
    target: 1.5, stepOverForward: best.step.best / forward, tfjsOverStep: tfjs.best / best.step.best,
    adamwOverSgdMs: adamRow.step.best - sgdRow.step.best,
    note: `AdamW step ${best.step.best.toFixed(3)} ms (target ≤ 1.5) = ${(best.step.best / forward).toFixed(2)}× forward ${forward.toFixed(3)} ms (target ≤ 3.5); TF.js wasm ${(tfjs.best / best.step.best).toFixed(1)}× slower (target ≥ 15); AdamW vs SGD +${(adamRow.step.best - sgdRow.step.best).toFixed(3)} ms`,
  });
}

// Other suites (UNet) are added here.
const suites: (() => Promise<void>)[] = [mlpSuite];
for (const suite of suites) await suite();

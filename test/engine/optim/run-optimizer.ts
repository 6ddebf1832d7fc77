/**
 * Test support: runs an Optimizer's graph update for several steps through onnxruntime, feeding
 * chosen gradients, so update rules can be compared with plain TypeScript references.
 */
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { serializeGraph } from "../../../src/engine/graph/serialize.js";
import type { Optimizer, UpdateEntry } from "../../../src/engine/optim/optimizer.js";
import { compileGraph } from "../../../src/engine/runtime/ort-runtime.js";
import type { Tensor } from "../../../src/tensor.js";
import { testRandom } from "../../support/gradient-check.js";

export interface EntryState {
  param: Float32Array;
  state: Record<string, Float32Array>;
}

export interface OptimizerRun {
  /** After each step: every entry's parameter and state. */
  readonly history: EntryState[][];
  /** The gradients fed at each step, per entry. */
  readonly grads: Float32Array[][];
  readonly lrs: number[];
}

export interface RunOptions {
  readonly sizes: readonly number[];
  readonly decay: readonly boolean[];
  readonly steps: number;
  readonly lr: (step: number) => number;
  readonly seed?: number;
}

export function randomArray(n: number, rng: { normal(): number }, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

export async function runOptimizer(optimizer: Optimizer, options: RunOptions): Promise<OptimizerRun & { initial: EntryState[] }> {
  const rng = testRandom(options.seed ?? 7);
  const g = new GraphBuilder("optimizer");
  const lr = g.input("lr", "float32", []);
  const step = g.input("step", "float32", []);
  const scalarNames = Object.keys(optimizer.scalars(1, 1));
  const derived = Object.fromEntries(scalarNames.map((n) => [n, g.input(n, "float32", [])]));
  const entries: UpdateEntry[] = options.sizes.map((n, i) => ({
    name: `e${i}`,
    param: g.input(`p${i}`, "float32", [n]),
    grad: g.input(`g${i}`, "float32", [n]),
    state: Object.fromEntries(optimizer.slots.map((s) => [s, g.input(`${s}${i}`, "float32", [n])])),
    decay: options.decay[i]!,
  }));
  const updated = optimizer.update(g, entries, { lr, step, derived });
  updated.forEach((u, i) => {
    g.output(u.param, `new_p${i}`);
    for (const s of optimizer.slots) g.output(u.state[s]!, `new_${s}${i}`);
  });
  const compiled = await compileGraph(serializeGraph(g));

  const initial: EntryState[] = options.sizes.map((n) => ({
    param: randomArray(n, rng),
    state: Object.fromEntries(optimizer.slots.map((s) => [s, new Float32Array(n)])),
  }));
  let current = initial;
  const history: EntryState[][] = [];
  const grads: Float32Array[][] = [];
  const lrs: number[] = [];
  const f32 = (shape: number[], data: Float32Array): Tensor => ({ dtype: "float32", shape, data });
  for (let t = 1; t <= options.steps; t++) {
    const rate = options.lr(t - 1);
    const gs = options.sizes.map((n) => randomArray(n, rng, 0.5));
    const feeds: Record<string, Tensor> = { lr: f32([], Float32Array.of(rate)), step: f32([], Float32Array.of(t)) };
    const d = optimizer.scalars(rate, t);
    for (const n of scalarNames) feeds[n] = f32([], Float32Array.of(d[n]!));
    current.forEach((e, i) => {
      const n = options.sizes[i]!;
      feeds[`p${i}`] = f32([n], e.param);
      feeds[`g${i}`] = f32([n], gs[i]!);
      for (const s of optimizer.slots) feeds[`${s}${i}`] = f32([n], e.state[s]!);
    });
    const out = await compiled.run(feeds);
    current = options.sizes.map((_, i) => ({
      param: out[`new_p${i}`]!.data as Float32Array,
      state: Object.fromEntries(optimizer.slots.map((s) => [s, out[`new_${s}${i}`]!.data as Float32Array])),
    }));
    history.push(current);
    grads.push(gs);
    lrs.push(rate);
  }
  await compiled.release();
  return { initial, history, grads, lrs };
}

/** Largest violation of |a − b| ≤ atol + rtol·|b| (≤ 0 means all within). */
export function assertClose(actual: Float32Array, expected: Float64Array, rtol: number, atol: number, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) {
      throw new Error(`${what}[${i}]: got ${a}, reference ${b} (|diff| ${Math.abs(a - b)} > ${atol} + ${rtol}·|ref|)`);
    }
  }
}

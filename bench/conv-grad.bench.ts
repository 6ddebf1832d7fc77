/**
 * Backward/forward time of one 3×3 Conv layer on 28×28 maps with 32 → 32 channels (pad 1, bias),
 * through onnxruntime. Run: npx tsx bench/conv-grad.bench.ts [--threads=N] [batch…] (default 2 threads,
 * batches 16 and 64).
 *   forward   Y = Conv(X, W, B)
 *   backward  dX, dW, dB from a fed dY (no forward); also dX alone and dW alone
 *   step      forward + backward in one graph, as a training step runs it
 * Reported: for each graph the best of three block medians (load from other processes on a shared
 * machine only ever adds time).
 */
import "../src/engine/register-builtins.js";
import { gradients } from "../src/engine/autodiff/gradients.js";
import { GraphBuilder } from "../src/engine/graph/graph-builder.js";
import { serializeGraph } from "../src/engine/graph/serialize.js";
import type { Value } from "../src/engine/graph/value.js";
import { compileGraph } from "../src/engine/runtime/ort-runtime.js";
import type { CompiledGraph } from "../src/engine/runtime/runtime.js";
import type { Tensor } from "../src/tensor.js";

const C = 32;
const S = 28;

function filled(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 0.37);
  return { dtype: "float32", shape, data };
}

function layer(g: GraphBuilder, n: number): { x: Value; w: Value; b: Value; y: Value; dy: Value } {
  const x = g.input("x", "float32", [n, C, S, S]);
  const w = g.input("w", "float32", [C, C, 3, 3]);
  const b = g.input("b", "float32", [C]);
  const dy = g.input("dy", "float32", [n, C, S, S]);
  return { x, w, b, dy, y: g.op("Conv", [x, w, b], { pads: [1, 1, 1, 1] }) };
}

function graphs(n: number): Record<string, GraphBuilder> {
  const forward = new GraphBuilder("forward");
  forward.output(layer(forward, n).y, "y");
  const out: Record<string, GraphBuilder> = { forward };
  for (const [name, pick, withForward] of [
    ["backward", [0, 1, 2], false],
    ["dX only", [0], false],
    ["dW only", [1], false],
    ["step", [0, 1, 2], true],
  ] as const) {
    const g = new GraphBuilder(name);
    const l = layer(g, n);
    const wrt = pick.map((k) => [l.x, l.w, l.b][k]!);
    gradients(l.y, wrt, { seed: l.dy }).forEach((v, i) => g.output(v, `g${i}`));
    if (withForward) g.output(l.y, "y");
    out[name] = g;
  }
  return out;
}

const args = process.argv.slice(2);
const threads = Number(args.find((a) => a.startsWith("--threads="))?.slice("--threads=".length) ?? 2);
const batches = args
  .filter((a) => !a.startsWith("--"))
  .map(Number)
  .filter((v) => v > 0);
for (const n of batches.length > 0 ? batches : [16, 64]) {
  const feeds = { x: filled([n, C, S, S]), w: filled([C, C, 3, 3]), b: filled([C]), dy: filled([n, C, S, S]) };
  const compiled: [string, CompiledGraph][] = [];
  for (const [name, g] of Object.entries(graphs(n))) compiled.push([name, await compileGraph(serializeGraph(g), { threads })]);
  // Each session has its own spinning thread pool, so graphs are timed in blocks (one session at a
  // time), three passes, keeping each graph's best block median.
  const best = new Map<string, number>();
  const block = n >= 64 ? 15 : 40;
  for (let pass = 0; pass < 3; pass++) {
    for (const [name, graph] of compiled) {
      for (let i = 0; i < 3; i++) await graph.run(feeds);
      const t: number[] = [];
      for (let i = 0; i < block; i++) {
        const t0 = performance.now();
        await graph.run(feeds);
        t.push(performance.now() - t0);
      }
      t.sort((a, b) => a - b);
      best.set(name, Math.min(best.get(name) ?? Infinity, t[Math.floor(t.length / 2)]!));
    }
  }
  const median = (name: string): number => best.get(name)!;
  const f = median("forward");
  console.log(`batch ${n}, ${threads} thread(s): forward ${f.toFixed(2)} ms`);
  for (const name of ["backward", "dX only", "dW only", "step"]) {
    console.log(`batch ${n}: ${name.padEnd(9)} ${median(name).toFixed(2)} ms = ${(median(name) / f).toFixed(2)}× forward`);
  }
  for (const [, graph] of compiled) await graph.release();
}

/**
 * Training stall per checkpoint: synchronous save() vs saveInBackground() (worker thread, and the
 * inline writer for comparison), on the MNIST diffusion demo's UNet trained by the real
 * TrainingSession, and on a 256 MiB state (the checkpoint bench's size) for a larger checkpoint.
 *
 *   node --import tsx bench/async-save.bench.ts [--json] [--quick] [--presets tiny,small] [--rounds N] [--inline-rounds N]
 *
 * Stall = the time the training loop is blocked by a checkpoint, as Orbax and PyTorch's async
 * checkpointing report it: save() blocks for the whole commit; saveInBackground() for waiting on
 * the previous save + the snapshot copy + handing the job to the writer thread. Of each call's
 * wall time, the part spent waiting for a core (Linux schedstat) is reported. Beside it, a
 * window estimate that also charges the background save for what the steps run while its commit
 * was in flight took beyond the same steps of the round's baseline window (CPU and I/O the writer
 * took from onnxruntime, I/O completions on the event loop). Windows of each kind alternate, their order
 * rotating, so drift from other jobs on this shared machine falls on all of them; figures are
 * medians over rounds. The step jitter (median absolute deviation of baseline steps) is the
 * resolution of the window estimate: on a loaded machine it is far coarser than the stall itself.
 * Target: async stall ≤ 10% of the synchronous save's stall of the same state.
 */
import "../src/engine/register-builtins.js";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { CheckpointStore, type SaveRequest } from "../src/checkpoint/index.js";
import { ddpm, type DiffusionBatch } from "../src/engine/diffusion/ddpm-model.js";
import { isUNetPreset, type UNetPreset } from "../src/engine/models/unet.js";
import { adamw } from "../src/engine/optim/adamw.js";
import { constantLr } from "../src/engine/optim/schedules.js";
import { createGenerator } from "../src/engine/random/index.js";
import { createTrainingSession } from "../src/engine/session/onnx-training-session.js";
import type { TrainingSession } from "../src/engine/session/training-session.js";
import { tensor, type TensorGroup } from "../src/tensor.js";
import { type BenchRow, cliOption, isMain, median, printRows } from "./bench-row.js";

export interface AsyncSaveBenchOptions {
  /** The demo presets whose UNet trains (at the preset's batch size). Default tiny (the demo's default) and small. */
  presets?: UNetPreset[];
  /** Rounds of (baseline, sync, worker, inline) windows. Default 7. */
  rounds?: number;
  /** Steps at least in each window. Default 3. */
  window?: number;
  /** Also the 256 MiB state (snapshot vs sync save, no training). Default true. */
  large?: boolean;
  /** MiB of the large state. Default 256. */
  largeMiB?: number;
  /** Rounds that also run the inline writer (its commit takes tens of steps). Default 2 (0 with --quick, and in the suite). */
  inlineRounds?: number;
}

const DEMO_BATCH: Record<UNetPreset, number> = { tiny: 32, small: 64 };
const MiB = 1024 * 1024;

function images(batch: number, count: number): DiffusionBatch[] {
  const rng = createGenerator("bench-async-images");
  return Array.from({ length: count }, () => ({ columns: { images: tensor("float32", [batch, 784], rng.fillUniform(new Float32Array(batch * 784), 0, 1)) } }));
}

type Mode = "baseline" | "sync" | "worker" | "inline";

/**
 * How long this thread has waited in the run queue for a core (Linux schedstat run_delay, ns):
 * accounted each time the thread gets a core back, so a call's delta is the part of its wall
 * time that other jobs on the machine took. (schedstat's on-CPU figure lags by up to a scheduler
 * tick for the running thread, too coarse for a millisecond call: not used.)
 */
function runQueueNs(): number | undefined {
  try {
    const wait = Number(readFileSync("/proc/thread-self/schedstat", "utf8").trim().split(/\s+/)[1]);
    return Number.isFinite(wait) ? wait : undefined;
  } catch {
    return undefined;
  }
}

interface Window {
  mode: Mode;
  /** Each step's time. */
  steps: number[];
  /** save() or saveInBackground() call time (the request built before). */
  callMs: number;
  /** Steps that ran while the background commit was in flight. */
  commitSteps: number;
  /** The background save's own account: waiting for the save before it, copying the tensors. */
  waitedMs: number;
  snapshotMs: number;
  /** Of callMs: this thread waiting for a core (NaN without schedstat). */
  callRunQueueMs: number;
}

/** The UNet stall rows of one preset. */
async function unetStall(o: Required<AsyncSaveBenchOptions>, preset: UNetPreset): Promise<BenchRow[]> {
  const batch = DEMO_BATCH[preset];
  const session: TrainingSession<DiffusionBatch> = await createTrainingSession({
    model: ddpm({ unet: preset }),
    optimizer: adamw({}),
    schedule: constantLr(1e-3),
    batchSize: batch,
    rng: createGenerator(1),
  });
  const data = images(batch, 4);
  let i = 0;
  const step = async (): Promise<number> => {
    const t0 = performance.now();
    await session.step(data[i++ % data.length]!);
    return performance.now() - t0;
  };
  const root = await mkdtemp(path.join(os.tmpdir(), "nbresume-async-bench-"));
  const stores = {
    sync: await CheckpointStore.open(path.join(root, "sync"), { keep: { rolling: 2 } }),
    worker: await CheckpointStore.open(path.join(root, "worker"), { keep: { rolling: 2 }, backgroundWriter: "worker" }),
    inline: await CheckpointStore.open(path.join(root, "inline"), { keep: { rolling: 2 }, backgroundWriter: "inline" }),
  };
  let saveStep = 0;
  const request = (): SaveRequest => {
    const dict = session.stateDict({ cursor: saveStep });
    // As the run does: the session's own buffers (a step replaces them; saveInBackground copies anyway).
    return {
      kind: "rolling",
      step: ++saveStep,
      tensors: { model: dict.tensors.model, optimizer: dict.tensors.optimizer },
      state: { training: dict.state },
      metrics: { loss: 0.1 },
    };
  };
  let stateBytes = 0;
  for (const g of Object.values(request().tensors)) for (const t of Object.values(g)) stateBytes += t.data.byteLength;

  const runWindow = async (mode: Mode): Promise<Window> => {
    const req = request();
    const s0 = runQueueNs();
    const t0 = performance.now();
    let callMs = 0;
    if (mode === "sync") {
      await stores.sync.save(req);
      callMs = performance.now() - t0;
    }
    let done = true;
    let waitedMs = 0;
    let snapshotMs = 0;
    if (mode === "worker" || mode === "inline") {
      const bg = await stores[mode].saveInBackground(req);
      callMs = performance.now() - t0;
      ({ waitedMs, snapshotMs } = bg);
      done = false;
      void bg.committed.then(() => (done = true));
    }
    const s1 = runQueueNs();
    const callRunQueueMs = s0 !== undefined && s1 !== undefined ? (s1 - s0) / 1e6 : Number.NaN;
    const steps: number[] = [];
    let commitSteps = 0;
    while (steps.length < o.window || !done) {
      steps.push(await step());
      if (!done) commitSteps = steps.length;
      if (steps.length > 400) throw new Error(`${mode}: the background commit did not finish within 400 steps`);
    }
    return { mode, steps, callMs, commitSteps, waitedMs, snapshotMs, callRunQueueMs };
  };

  // Warm-up: JIT, the worker thread's start, the snapshot buffer's first allocation (reported).
  for (let k = 0; k < 3; k++) await step();
  const first = { worker: await runWindow("worker"), inline: o.inlineRounds > 0 ? await runWindow("inline") : undefined };
  await runWindow("sync");

  // Stall of a window = the save call + what the steps run while its commit was in flight took
  // beyond the round's median baseline step (CPU and I/O the commit took from training).
  const stalls: Record<Mode, number[]> = { baseline: [], sync: [], worker: [], inline: [] };
  const calls: Record<Mode, number[]> = { baseline: [], sync: [], worker: [], inline: [] };
  const commitSteps: Record<Mode, number[]> = { baseline: [], sync: [], worker: [], inline: [] };
  const parts: Record<Mode, { waited: number[]; snapshot: number[]; runQueue: number[] }> = {
    baseline: { waited: [], snapshot: [], runQueue: [] },
    sync: { waited: [], snapshot: [], runQueue: [] },
    worker: { waited: [], snapshot: [], runQueue: [] },
    inline: { waited: [], snapshot: [], runQueue: [] },
  };
  const baselineSteps: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    const modes: Mode[] = r < o.inlineRounds ? ["baseline", "sync", "worker", "inline"] : ["baseline", "sync", "worker"];
    const order = modes.map((_, k) => modes[(k + r) % modes.length]!);
    const round: Window[] = [];
    for (const mode of order) round.push(await runWindow(mode));
    const baseSteps = round.find((x) => x.mode === "baseline")!.steps;
    const base = median(baseSteps);
    baselineSteps.push(...baseSteps);
    for (const w of round) {
      if (w.mode === "baseline") continue;
      // Step k of this window against step k of the baseline window (the first step after any
      // pause runs colder), beyond the baseline's steps against its median.
      const extra = w.steps.slice(0, w.commitSteps).reduce((sum, t, k) => sum + (t - (baseSteps[k] ?? base)), 0);
      stalls[w.mode].push(w.callMs + extra);
      calls[w.mode].push(w.callMs);
      commitSteps[w.mode].push(w.commitSteps);
      parts[w.mode].waited.push(w.waitedMs);
      parts[w.mode].snapshot.push(w.snapshotMs);
      parts[w.mode].runQueue.push(w.callRunQueueMs);
    }
  }
  for (const s of Object.values(stores)) await s.close();
  await session.release();
  await rm(root, { recursive: true, force: true });

  const stepMedian = median(baselineSteps);
  // How much one step's time varies here (median absolute deviation): the resolution of "extra".
  const jitter = median(baselineSteps.map((t) => Math.abs(t - stepMedian)));
  const sync = median(stalls.sync);
  const label = `UNet ${preset} (demo${preset === "tiny" ? " default" : ""}, batch ${batch}), ${(stateBytes / MiB).toFixed(1)} MiB state`;
  const rows: BenchRow[] = [
    {
      bench: "async-save",
      id: `${preset}_step`,
      name: `${label}: training step`,
      ms: stepMedian,
      jitterMs: jitter,
      note: `median (and median absolute deviation) of ${baselineSteps.length} baseline steps`,
    },
    {
      bench: "async-save",
      id: `${preset}_sync_stall`,
      name: `${label}: sync save() stall`,
      ms: sync,
      bestMs: Math.min(...stalls.sync),
      rounds: stalls.sync.length,
      callRunQueueMs: median(parts.sync.runQueue),
      note: "the whole commit, every fsync included",
    },
  ];
  for (const mode of ["worker", "inline"] as const) {
    if (stalls[mode].length === 0) continue;
    const windowStall = median(stalls[mode]);
    const call = median(calls[mode]);
    const firstCall = first[mode]?.callMs ?? Number.NaN;
    rows.push({
      bench: "async-save",
      id: `${preset}_${mode}_stall`,
      name: `${label}: saveInBackground (${mode}) stall`,
      ms: call,
      bestMs: Math.min(...calls[mode]),
      ratioToSync: call / sync,
      bestRatioToSync: Math.min(...calls[mode]) / Math.min(...stalls.sync),
      ...(mode === "worker" ? { target: "≤ 0.10 × sync" } : {}),
      callRunQueueMs: median(parts[mode].runQueue),
      windowStallMs: windowStall,
      windowRatioToSync: windowStall / sync,
      jitterMs: jitter,
      waitedMs: median(parts[mode].waited),
      snapshotMs: median(parts[mode].snapshot),
      commitSteps: median(commitSteps[mode]),
      firstCallMs: firstCall,
      rounds: stalls[mode].length,
      note: `blocking call; window estimate ${windowStall.toFixed(1)} ms (step jitter ±${jitter.toFixed(1)} ms); committed within ${median(commitSteps[mode])} step(s); first save's call ${firstCall.toFixed(1)} ms (starts the writer, allocates the snapshot buffer)`,
    });
  }
  return rows;
}

/** The large state: how long the caller is blocked, save() vs saveInBackground(), no training. */
async function largeStall(o: Required<AsyncSaveBenchOptions>): Promise<BenchRow[]> {
  const bytes = o.largeMiB * MiB;
  const model: TensorGroup = {};
  const optimizer: TensorGroup = {};
  const per = bytes / 2 / 4 / 16; // 16 tensors per group
  for (let k = 0; k < 16; k++) {
    const a = new Float32Array(per);
    const b = new Float32Array(per);
    for (let j = 0; j < per; j += 1024) {
      a[j] = k + j;
      b[j] = -k - j;
    }
    model[`w${k}`] = { dtype: "float32", shape: [per], data: a };
    optimizer[`m${k}`] = { dtype: "float32", shape: [per], data: b };
  }
  const root = await mkdtemp(path.join(os.tmpdir(), "nbresume-async-large-"));
  const store = await CheckpointStore.open(root, { keep: { rolling: 1 } });
  let step = 0;
  const sync: number[] = [];
  const call: number[] = [];
  const commit: number[] = [];
  const reps = Math.max(2, Math.min(4, o.rounds));
  try {
    for (let r = 0; r <= reps; r++) {
      let t0 = performance.now();
      await store.save({ kind: "rolling", step: ++step, tensors: { model, optimizer } });
      const tSync = performance.now() - t0;
      t0 = performance.now();
      const bg = await store.saveInBackground({ kind: "rolling", step: ++step, tensors: { model, optimizer } });
      const tCall = performance.now() - t0;
      await bg.committed;
      const tCommit = performance.now() - t0;
      if (r > 0) {
        sync.push(tSync);
        call.push(tCall);
        commit.push(tCommit);
      } // rep 0 allocates the snapshot buffer
    }
  } finally {
    await store.close();
    await rm(root, { recursive: true, force: true });
  }
  const s = median(sync);
  const c = median(call);
  return [
    { bench: "async-save", id: "large_sync_save", name: `${o.largeMiB} MiB state: sync save() blocks`, ms: s },
    {
      bench: "async-save",
      id: "large_background_call",
      name: `${o.largeMiB} MiB state: saveInBackground() blocks`,
      ms: c,
      ratioToSync: c / s,
      target: "≤ 0.10 × sync",
      commitMs: median(commit),
      note: `the snapshot copy; the worker commits in ${median(commit).toFixed(0)} ms meanwhile`,
    },
  ];
}

export async function asyncSaveBench(options: AsyncSaveBenchOptions = {}): Promise<BenchRow[]> {
  const o: Required<AsyncSaveBenchOptions> = {
    presets: options.presets ?? ["tiny", "small"],
    rounds: options.rounds ?? 7,
    window: options.window ?? 3,
    large: options.large ?? true,
    largeMiB: options.largeMiB ?? 256,
    inlineRounds: options.inlineRounds ?? 2,
  };
  const rows: BenchRow[] = [];
  for (const preset of o.presets) rows.push(...(await unetStall(o, preset)));
  if (o.large) rows.push(...(await largeStall(o)));
  return rows;
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const value = (name: string): string | undefined => cliOption(name, args);
  const quick = args.includes("--quick");
  const presets = (value("--presets") ?? (quick ? "tiny" : "tiny,small")).split(",");
  if (!presets.every(isUNetPreset)) throw new TypeError(`--presets must be tiny and/or small, got ${presets.join(",")}`);
  const rows = await asyncSaveBench({
    presets,
    rounds: Number(value("--rounds") ?? (quick ? 2 : 7)),
    largeMiB: quick ? 64 : 256,
    inlineRounds: Number(value("--inline-rounds") ?? (quick ? 0 : 2)),
  });
  printRows(rows, args.includes("--json"));
}

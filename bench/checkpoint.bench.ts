/**
 * Checkpoint store throughput on a 256 MiB checkpoint, as ratios to what the same machine does
 * with plain node:fs in the same run. Run: node --import tsx bench/checkpoint.bench.ts [--json] [--reps N] [--mib N]
 * (bench/suite.ts calls checkpointBench()).
 *   raw write   the same tensor bytes written with plain fs to two files, each fsync'd
 *   save        store.save(): temp dir, hash while writing, fsync every file + dirs, rename
 *   raw read    the same two files read with plain fs into preallocated buffers (page cache)
 *   verify      resolve("auto"): read and hash every byte (page cache)
 *   load        store.load(hit): safetensors reader into fresh typed arrays, hashing every byte
 * Targets: save ≥ 0.9 × raw write; load with verification ≥ 2 GB/s (page cache).
 *
 * saveScalingBench() (`--scaling`; the suite runs it after the rows above): the latency of a save (1 MiB, the default retention, so each
 * save prunes one rolling checkpoint) beside 1, 100 and 2,000 existing epoch checkpoints, the
 * three stores taking turns save by save. Target: with 2,000 within 2 × of with 1 (the retention
 * plan once re-listed the whole directory: 11 ms at the 1st checkpoint, 657 ms at the 2,000th).
 * Raw and store runs alternate (and which goes first alternates too). Each is reported as the best
 * and the median of its repetitions: on a shared machine other processes only ever add time,
 * so the ratio of the bests is the fairest comparison; the medians show the spread.
 */
import { mkdir, mkdtemp, open, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { CheckpointStore, type ResolvedCheckpoint } from "../src/checkpoint/index.js";
import { type DurableFs, nodeFs } from "../src/checkpoint/durable-fs.js";
import type { TensorGroup } from "../src/tensor.js";
import { type BenchRow, cliOption, isMain, median as medianOf, printRows } from "./bench-row.js";

const MiB = 1024 * 1024;

// Collect the previous repetition's 256 MiB of garbage before each timed step, so a step is not
// charged for freeing what the one before it allocated (a resume loads once, into a fresh process).
let collect: () => void = () => undefined;
function exposeGc(): void {
  setFlagsFromString("--expose-gc");
  collect = runInNewContext("gc") as () => void;
}

/**
 * 256 MiB in all (at scale 1): a model of 24 × 4 MiB + 32 × 1 MiB + small tensors, and 128 MiB of
 * moments; `scale` < 1 shrinks every tensor (the --quick run).
 */
function makeGroups(scale = 1): { groups: Record<string, TensorGroup>; bytes: number } {
  const model: TensorGroup = {};
  const optimizer: TensorGroup = {};
  const fill = (n: number, seed: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i += 1024) a[i] = seed + i;
    return a;
  };
  const rows = Math.max(1, Math.round(1024 * scale));
  for (let i = 0; i < 24; i++) model[`block${i}.weight`] = { dtype: "float32", shape: [rows, 1024], data: fill(rows * 1024, i) };
  for (let i = 0; i < 32; i++)
    model[`block${i}.proj`] = { dtype: "float32", shape: [Math.max(1, rows >> 1), 512], data: fill(Math.max(1, rows >> 1) * 512, i) };
  for (let i = 0; i < 64; i++) model[`block${i}.bias`] = { dtype: "float32", shape: [1024], data: fill(1024, i) };
  optimizer["exp_avg"] = { dtype: "float32", shape: [16, rows, 1024], data: fill(16 * rows * 1024, 1) };
  optimizer["exp_avg_sq"] = { dtype: "float32", shape: [16, rows, 1024], data: fill(16 * rows * 1024, 2) };
  let bytes = 0;
  for (const g of [model, optimizer]) for (const t of Object.values(g)) bytes += t.data.byteLength;
  return { groups: { model, optimizer }, bytes };
}

function bytesOf(group: TensorGroup): Uint8Array[] {
  return Object.values(group).map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

async function rawWrite(dir: string, groups: Record<string, TensorGroup>): Promise<string[]> {
  const files: string[] = [];
  for (const [name, group] of Object.entries(groups)) {
    const file = path.join(dir, `${name}.raw`);
    const fh = await open(file, "wx");
    let position = 0;
    for (const chunk of bytesOf(group)) {
      await fh.write(chunk, 0, chunk.byteLength, position);
      position += chunk.byteLength;
    }
    await fh.sync();
    await fh.close();
    files.push(file);
  }
  return files;
}

async function rawRead(files: string[], buffers: Uint8Array[]): Promise<void> {
  for (const [i, file] of files.entries()) {
    const fh = await open(file, "r");
    const into = buffers[i] as Uint8Array;
    let done = 0;
    while (done < into.byteLength) {
      const { bytesRead } = await fh.read(into, done, Math.min(into.byteLength - done, 8 * MiB), done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    await fh.close();
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

export interface CheckpointBenchOptions {
  /** Timed repetitions (after one warm-up). Default 8. */
  reps?: number;
  /** Checkpoint size in MiB (approximately; 256 by default, the size the target is set for). */
  mib?: number;
  /** The save-latency-vs-count rows (saveScalingBench), run after the throughput rows; false: none. */
  scaling?: SaveScalingOptions | false;
}

export async function checkpointBench(options: CheckpointBenchOptions = {}): Promise<BenchRow[]> {
  exposeGc();
  const REPS = options.reps ?? 8;
  const { groups, bytes } = makeGroups((options.mib ?? 256) / 256);
  const root = await mkdtemp(path.join(os.tmpdir(), "nbresume-bench-"));
  const store = await CheckpointStore.open(path.join(root, "store"), { autoPrune: false });
  const times = { rawWrite: [] as number[], save: [] as number[], rawRead: [] as number[], verify: [] as number[], load: [] as number[] };
  try {
    const sizes = Object.values(groups).map((g) => bytesOf(g).reduce((s, b) => s + b.byteLength, 0));
    const buffers = sizes.map((n) => new Uint8Array(n));
    for (let rep = 0; rep <= REPS; rep++) {
      const rawDir = path.join(root, `raw-${rep}`);
      await mkdir(rawDir);
      // Alternate which write goes first: writeback of the one before slows the one after.
      const writeRaw = async () => {
        collect();
        return timed(async () => rawWrite(rawDir, groups));
      };
      const writeStore = async () => {
        collect();
        return timed(() => store.save({ kind: "rolling", step: rep, tensors: groups, state: { rep } }));
      };
      let tRaw: number;
      let tSave: number;
      if (rep % 2 === 0) {
        tRaw = await writeRaw();
        tSave = await writeStore();
      } else {
        tSave = await writeStore();
        tRaw = await writeRaw();
      }
      const files = [path.join(rawDir, "model.raw"), path.join(rawDir, "optimizer.raw")];
      await rawRead(files, buffers); // warm
      collect();
      const tRead = await timed(() => rawRead(files, buffers));
      let hit: ResolvedCheckpoint | undefined;
      collect();
      const tVerify = await timed(async () => {
        hit = await store.resolve("auto");
      });
      collect();
      const tLoad = await timed(() => store.load(hit ?? "auto"));
      if (rep > 0) {
        // rep 0 warms up the JIT and the allocator
        times.rawWrite.push(tRaw);
        times.save.push(tSave);
        times.rawRead.push(tRead);
        times.verify.push(tVerify);
        times.load.push(tLoad);
      }
      await rm(rawDir, { recursive: true });
      const previous = (await store.list()).checkpoints.filter((c) => c.step < rep);
      for (const c of previous) await rm(c.path, { recursive: true });
    }
  } finally {
    await store.close();
    await rm(root, { recursive: true, force: true });
  }

  const gbps = (t: number) => bytes / t / 1e9;
  const best = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.min(...v)])) as Record<keyof typeof times, number>;
  const med = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<keyof typeof times, number>;
  const row = (id: string, name: string, key: keyof typeof times, base?: keyof typeof times, target?: string): BenchRow => ({
    bench: "checkpoint",
    id,
    name,
    bytes,
    reps: REPS,
    bestMs: best[key] * 1000,
    medianMs: med[key] * 1000,
    bestGBps: gbps(best[key]),
    medianGBps: gbps(med[key]),
    ...(base ? { ratioBest: best[base] / best[key], ratioMedian: med[base] / med[key] } : {}),
    ...(target ? { target } : {}),
  });
  return [
    row("raw_write", "raw fsync'd write", "rawWrite"),
    row("save", "store.save", "save", "rawWrite", "≥ 0.9 × raw fsync'd write"),
    row("raw_read", "raw read (page cache)", "rawRead"),
    row("verify", "resolve (hash every byte)", "verify", "rawRead"),
    row("load", "store.load (read + hash)", "load", "rawRead", "≥ 2 GB/s"),
    ...(options.scaling === false ? [] : await saveScalingBench(options.scaling)),
  ];
}

export interface SaveScalingOptions {
  /** Existing checkpoints beside the timed saves. Default [1, 100, 2000]. */
  counts?: number[];
  /** Timed saves per count (after two warm-up saves). Default 15. */
  reps?: number;
}

/** node:fs without fsync: only to fill a directory with thousands of checkpoints quickly. */
const noSyncFs: DurableFs = {
  ...nodeFs,
  open: async (file, flags, mode) => {
    const handle = await nodeFs.open(file, flags, mode);
    return {
      write: (...a) => handle.write(...a),
      read: (...a) => handle.read(...a),
      stat: () => handle.stat(),
      close: () => handle.close(),
      sync: async () => undefined,
    };
  },
};

export async function saveScalingBench(options: SaveScalingOptions = {}): Promise<BenchRow[]> {
  const counts = options.counts ?? [1, 100, 2000];
  const reps = options.reps ?? 15;
  const root = await mkdtemp(path.join(os.tmpdir(), "nbresume-bench-scaling-"));
  const tensors = (seed: number): Record<string, TensorGroup> => {
    const w = new Float32Array(256 * 1024);
    w[0] = seed;
    return { model: { w: { dtype: "float32", shape: [256, 1024], data: w } } };
  };
  const small = { model: { w: { dtype: "float32" as const, shape: [16], data: new Float32Array(16) } } };
  const stores: { count: number; store: CheckpointStore; ms: number[] }[] = [];
  try {
    for (const count of counts) {
      const dir = path.join(root, `with-${count}`);
      const filler = await CheckpointStore.open(dir, { fs: noSyncFs, autoPrune: false });
      for (let step = 1; step <= count; step++) await filler.save({ kind: "epoch", step, epoch: step, tensors: small });
      await filler.close();
      stores.push({ count, store: await CheckpointStore.open(dir), ms: [] });
    }
    let step = 1_000_000;
    for (let rep = -2; rep < reps; rep++) {
      step++;
      // The stores take turns, so the machine's noise lands on each alike.
      for (const s of rep % 2 === 0 ? stores : [...stores].reverse()) {
        const t = await timed(() => s.store.save({ kind: "rolling", step, tensors: tensors(step) }));
        if (rep >= 0) s.ms.push(t * 1000);
      }
    }
  } finally {
    for (const s of stores) await s.store.close();
    await rm(root, { recursive: true, force: true });
  }
  const base = stores[0]!;
  const rows: BenchRow[] = stores.map((s) => ({
    bench: "checkpoint",
    id: `save_with_${s.count}`,
    name: `store.save (1 MiB) beside ${s.count.toLocaleString("en-US")} checkpoint${s.count === 1 ? "" : "s"}`,
    count: s.count,
    reps,
    ms: medianOf(s.ms),
    bestMs: Math.min(...s.ms),
    ratioToFirst: medianOf(s.ms) / medianOf(base.ms),
  }));
  const last = stores.at(-1)!;
  rows.push({
    bench: "checkpoint",
    id: "save_scaling",
    name: `save latency beside ${last.count.toLocaleString("en-US")} vs ${base.count} checkpoint(s)`,
    count: last.count,
    ms: medianOf(last.ms),
    referenceMs: medianOf(base.ms),
    ratio: medianOf(last.ms) / medianOf(base.ms),
    target: "≤ 2 × beside 1",
  });
  return rows;
}

if (isMain(import.meta.url) && process.argv.includes("--scaling")) {
  const args = process.argv.slice(2);
  printRows(await saveScalingBench({ reps: args.includes("--reps") ? Number(cliOption("--reps", args)) : 15 }), args.includes("--json"));
} else if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const value = (name: string): number | undefined => (args.includes(name) ? Number(cliOption(name, args)) : undefined);
  const rows = await checkpointBench({ reps: value("--reps") ?? 8, mib: value("--mib") ?? 256, scaling: false });
  if (args.includes("--json")) {
    for (const r of rows) console.log(JSON.stringify(r));
  } else {
    const first = rows[0];
    console.log(`checkpoint of ${(Number(first?.bytes) / MiB).toFixed(0)} MiB in ${os.tmpdir()}, ${first?.reps} runs: best (median)`);
    for (const r of rows) {
      const n = (k: string): number => Number(r[k]);
      const ratio = r.ratioBest !== undefined ? `   ${n("ratioBest").toFixed(2)} (${n("ratioMedian").toFixed(2)}) × raw` : "";
      const target = r.target ? `   target ${r.target}` : "";
      console.log(
        `  ${r.name.padEnd(27)} ${n("bestMs").toFixed(0).padStart(5)} (${n("medianMs").toFixed(0).padStart(5)}) ms  ${n("bestGBps").toFixed(2).padStart(5)} (${n("medianGBps").toFixed(2).padStart(5)}) GB/s${ratio}${target}`,
      );
    }
  }
}

/**
 * Peak memory of saving and loading a checkpoint, relative to the state's size. Each figure is
 * measured in a fresh child process (node --import tsx), from the kernel's own accounting:
 * VmHWM (peak resident set) after the operation minus VmRSS just before it, with the peak reset
 * right before (write "5" to /proc/self/clear_refs) so allocating the state itself is not counted.
 *
 *   node --import tsx bench/memory.bench.ts [--json] [--mib N]
 *
 *   save        store.save(): streams each tensor's own bytes to the file (no whole-file buffer)
 *   background  store.saveInBackground() → committed: one snapshot copy of the state, plus the
 *               writer thread (its isolate; from source, also tsx compiling the store's modules)
 *   load        store.load() in a process holding nothing else: the loaded tensors themselves
 *               (1 × state) plus the reader's small buffers, no whole-file buffer
 * Target: peak extra memory during a save ≤ one copy of the state + a small constant.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { CheckpointStore } from "../src/checkpoint/index.js";
import type { TensorGroup } from "../src/tensor.js";
import { type BenchRow, cliOption, isMain, printRows } from "./bench-row.js";

const MiB = 1024 * 1024;
type Mode = "save" | "background" | "load";
const MODES: readonly Mode[] = ["save", "background", "load"];

interface ChildResult {
  mode: Mode;
  stateBytes: number;
  beforeRss: number;
  peakRss: number;
  /** Whether the kernel let us reset the peak (else the peak since the process started). */
  peakReset: boolean;
}

function status(field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/self/status", "utf8"));
  if (!m) throw new Error(`/proc/self/status has no ${field}`);
  return Number(m[1]) * 1024;
}

function resetPeak(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** The state: two groups of 16 float32 tensors, every page touched. */
function makeState(bytes: number): Record<string, TensorGroup> {
  const per = Math.floor(bytes / 2 / 16 / 4);
  const groups: Record<string, TensorGroup> = { model: {}, optimizer: {} };
  for (const [g, tensors] of Object.entries(groups)) {
    for (let k = 0; k < 16; k++) {
      const a = new Float32Array(per);
      for (let j = 0; j < per; j += 1024) a[j] = k + j + g.length;
      tensors[`t${k}`] = { dtype: "float32", shape: [per], data: a };
    }
  }
  return groups;
}

async function child(mode: Mode, dir: string, bytes: number): Promise<void> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const store = await CheckpointStore.open(dir, { keep: { rolling: 100 } });
  const step = MODES.indexOf(mode) + 1;
  let stateBytes = bytes;
  if (mode === "load") {
    const hit = await store.resolve("auto"); // verifies (reads in 8 MiB pieces); not the measured part
    if (!hit) throw new Error("no checkpoint to load");
    gc();
    const beforeRss = status("VmRSS");
    const peakReset = resetPeak();
    const loaded = await store.load(hit);
    const peakRss = status("VmHWM");
    stateBytes = 0;
    for (const g of Object.values(loaded.tensors)) for (const t of Object.values(g)) stateBytes += t.data.byteLength;
    console.log(JSON.stringify({ mode, stateBytes, beforeRss, peakRss, peakReset } satisfies ChildResult));
    await store.close();
    return;
  }
  const tensors = makeState(bytes);
  stateBytes = 0;
  for (const g of Object.values(tensors)) for (const t of Object.values(g)) stateBytes += t.data.byteLength;
  gc();
  const beforeRss = status("VmRSS");
  const peakReset = resetPeak();
  if (mode === "save") {
    await store.save({ kind: "rolling", step, tensors });
  } else {
    const bg = await store.saveInBackground({ kind: "rolling", step, tensors });
    await bg.committed;
  }
  const peakRss = status("VmHWM");
  console.log(JSON.stringify({ mode, stateBytes, beforeRss, peakRss, peakReset } satisfies ChildResult));
  await store.close();
}

export async function memoryBench(options: { mib?: number } = {}): Promise<BenchRow[]> {
  const bytes = (options.mib ?? 256) * MiB;
  const dir = await mkdtemp(path.join(os.tmpdir(), "nbresume-memory-bench-"));
  const self = fileURLToPath(import.meta.url);
  const rows: BenchRow[] = [];
  try {
    for (const mode of MODES) {
      const out = execFileSync(process.execPath, ["--import", "tsx", self, "--child", mode, dir, String(bytes)], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
      });
      const line = out
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .pop();
      if (line === undefined) throw new Error(`memory child ${mode} printed no result: ${out}`);
      const r = JSON.parse(line) as ChildResult;
      const extra = r.peakRss - r.beforeRss;
      const what = { save: "store.save()", background: "store.saveInBackground() → committed", load: "store.load()" }[mode];
      rows.push({
        bench: "memory",
        id: `peak_${mode}`,
        name: `peak extra RSS, ${what}, ${(r.stateBytes / MiB).toFixed(0)} MiB state`,
        extraMiB: extra / MiB,
        ratioToState: extra / r.stateBytes,
        stateMiB: r.stateBytes / MiB,
        ...(mode === "load" ? { target: "≈ 1 × state (the tensors) + small" } : { target: "≤ 1 × state + small" }),
        note: r.peakReset ? "VmHWM reset before the operation" : "VmHWM could not be reset: includes allocating the state",
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--child");
  if (at >= 0) {
    const [mode, dir, bytes] = args.slice(at + 1);
    if (!MODES.includes(mode as Mode) || dir === undefined || bytes === undefined) throw new TypeError("--child save|background|load DIR BYTES");
    await child(mode as Mode, dir, Number(bytes));
  } else {
    const mib = cliOption("--mib", args);
    printRows(await memoryBench({ mib: mib === undefined ? 256 : Number(mib) }), args.includes("--json"));
  }
}

/**
 * The benchmark suite: `npm run bench [-- --json] [-- --quick]`. One command, one run: every
 * figure with a target, next to its reference measured on this machine in the same
 * run, as a table (or, with --json, one JSON object per line: the machine, then each figure, then
 * every module's detailed rows).
 *
 * Each bench module exports a function returning rows (bench-row.ts) and keeps its own CLI. The
 * suite calls each function in a process of its own (module-child.ts), so no module's heap or
 * garbage collections land in another's timings. A module that is missing or fails is reported as
 * such, and the others still run; the exit code is 1 then. Missing a target does not fail the run: the table says so.
 *
 *   --quick      a fast smoke run (small sizes, few rounds): checks the suite works, not the numbers
 *   --out FILE   also write the --json lines to FILE (the table still goes to stdout)
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import { fileURLToPath } from "node:url";
import { type BenchRow, isMain } from "./bench-row.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));

interface Module {
  /** Its rows' `bench` field. */
  bench: string;
  file: string;
  /** The exported function, called as fn(options) in a child process (module-child.ts). */
  fn: string;
  options: (quick: boolean) => Record<string, unknown>;
}

const MODULES: Module[] = [
  // CPU-bound figures first: the disk benchmarks after them leave gigabytes of writeback that the
  // kernel flushes on these same 2 cores (and `sync` runs before each module: settleDisk).
  { bench: "engine", file: "engine.bench.ts", fn: "mlpBench", options: (q) => ({ quick: q }) },
  // The demo's UNet: small at batch 64 (tiny at 32 when quick), with TF.js wasm on the same model.
  {
    bench: "unet",
    file: "unet.bench.ts",
    fn: "unetBench",
    options: (q) => (q ? { quick: true, presets: ["tiny"], batches: [32], tfjs: true } : { presets: ["small"], batches: [64], tfjs: true }),
  },
  // The char transformer (4 layers, d 128, context 128, batch 32), with TF.js wasm and PyTorch on the same model.
  { bench: "transformer", file: "transformer.bench.ts", fn: "transformerBench", options: (q) => ({ quick: q }) },
  { bench: "resume", file: "resume.bench.ts", fn: "resumeBench", options: (q) => ({ quick: q }) },
  // nbresume run: a real Jupyter server and kernel, the demo's tiny UNet (needs dist/: npm run build).
  { bench: "supervisor", file: "supervisor.bench.ts", fn: "supervisorBench", options: (q) => ({ quick: q }) },
  { bench: "render", file: "render.bench.ts", fn: "renderBench", options: (q) => ({ runs: q ? 0.2 : 1 }) },
  {
    bench: "checkpoint",
    file: "checkpoint.bench.ts",
    fn: "checkpointBench",
    options: (q) => (q ? { reps: 1, mib: 32, scaling: { counts: [1, 100, 500], reps: 4 } } : { reps: 4, mib: 256 }),
  },
  {
    bench: "async-save",
    file: "async-save.bench.ts",
    fn: "asyncSaveBench",
    options: (q) =>
      q ? { presets: ["tiny"], rounds: 2, inlineRounds: 0, largeMiB: 32 } : { presets: ["tiny", "small"], rounds: 9, inlineRounds: 0, largeMiB: 256 },
  },
  { bench: "memory", file: "memory.bench.ts", fn: "memoryBench", options: (q) => ({ mib: q ? 32 : 256 }) },
  // The store on object storage: a local S3 server (s3rver) against the plain AWS SDK.
  { bench: "s3", file: "s3.bench.ts", fn: "s3Bench", options: (q) => (q ? { reps: 1, mib: 32 } : { reps: 3, mib: 256 }) },
];

interface ModuleResult {
  bench: string;
  rows: BenchRow[];
  seconds: number;
  how: "child" | "missing";
  error?: string;
}

/** A figure of the table: a value, what it is compared with, the ratio the target is about. */
export interface Figure {
  id: string;
  figure: string;
  value: number | null;
  unit: string;
  reference: string;
  referenceValue: number | null;
  referenceUnit: string;
  /** value ÷ reference (or as the target states it: "× slower", "× state"). */
  ratio: number | null;
  ratioLabel: string;
  target: string;
  /** null: no target, or not measured. */
  met: boolean | null;
  note: string;
}

function slug(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_|_$/g, "");
}

/** Rows as this suite reads them: every row has `bench` and `id`. */
function normalise(bench: string, raw: Record<string, unknown>): BenchRow {
  const name = typeof raw.name === "string" ? raw.name : typeof raw.id === "string" || typeof raw.id === "number" ? String(raw.id) : "row";
  return { ...(raw as object), bench, id: typeof raw.id === "string" ? raw.id : slug(name), name };
}

function runChild(file: string, args: string[]): Promise<BenchRow[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", file, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code !== 0) return reject(new Error(`exit ${code ?? signal}: ${err.trim().split("\n").slice(-3).join(" | ")}`));
      const rows = out
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as BenchRow);
      resolve(rows);
    });
  });
}

async function runModule(m: Module, quick: boolean, log: (line: string) => void): Promise<ModuleResult> {
  const file = `${HERE}${m.file}`;
  const t0 = performance.now();
  if (!existsSync(file)) return { bench: m.bench, rows: [], seconds: 0, how: "missing", error: `bench/${m.file} does not exist yet` };
  log(`running bench/${m.file} (in a process of its own)…`);
  try {
    const raw = await runChild(`${HERE}module-child.ts`, [m.file, m.fn, JSON.stringify(m.options(quick))]);
    return { bench: m.bench, rows: raw.map((r) => normalise(m.bench, r)), seconds: (performance.now() - t0) / 1000, how: "child" };
  } catch (error) {
    return { bench: m.bench, rows: [], seconds: (performance.now() - t0) / 1000, how: "child", error: error instanceof Error ? error.message : String(error) };
  }
}

function num(row: BenchRow | undefined, key: string): number | null {
  const v = row?.[key];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function figure(f: Partial<Figure> & Pick<Figure, "id" | "figure" | "unit">): Figure {
  return { value: null, reference: "", referenceValue: null, referenceUnit: "", ratio: null, ratioLabel: "", target: "", met: null, note: "", ...f };
}

/** Flushes dirty pages before a module, so none inherits the previous one's writeback. */
function settleDisk(): void {
  try {
    execFileSync("sync", { stdio: "ignore" });
  } catch {
    // No `sync` command: the module runs on an unsettled disk (as every run did before).
  }
}

/** A figure with several targets: met when every one is; `missed` names those that are not. */
function allOf(parts: readonly (readonly [string, boolean | null])[]): { target: string; met: boolean | null; missed: string } {
  const met = parts.some(([, m]) => m === false) ? false : parts.every(([, m]) => m === true) ? true : null;
  const missed = parts
    .filter(([, m]) => m === false)
    .map(([t]) => `${t}: missed`)
    .join("; ");
  return { target: parts.map(([t]) => t).join(" and "), met, missed };
}

/** The table: the figures with a target, each from the rows that measure it. */
export function figures(results: readonly ModuleResult[], quick: boolean): Figure[] {
  const rows = results.flatMap((r) => r.rows);
  const find = (bench: string, test: (r: BenchRow) => boolean): BenchRow | undefined => rows.find((r) => r.bench === bench && test(r));
  const byId = (bench: string, id: string): BenchRow | undefined => find(bench, (r) => r.id === id);
  const missing = (bench: string): string => {
    const r = results.find((x) => x.bench === bench);
    return r?.error !== undefined ? `not measured: ${r.error}` : "not measured";
  };
  const out: Figure[] = [];

  // Checkpoint throughput.
  const save = byId("checkpoint", "save");
  const rawWrite = byId("checkpoint", "raw_write");
  const mib = (num(save, "bytes") ?? 0) / 1048576;
  const saveRatio = num(save, "ratioBest");
  out.push(
    figure({
      id: "save_throughput",
      figure: `store.save() of a ${mib.toFixed(0)} MiB checkpoint`,
      value: num(save, "bestGBps"),
      unit: "GB/s",
      reference: "raw fsync'd write",
      referenceValue: num(rawWrite, "bestGBps"),
      referenceUnit: "GB/s",
      ratio: saveRatio,
      ratioLabel: "× raw",
      target: "≥ 0.9 × raw",
      met: saveRatio === null ? null : saveRatio >= 0.9,
      note: save
        ? `best of ${save.reps}; median ${num(save, "medianGBps")?.toFixed(2)} GB/s (${num(save, "ratioMedian")?.toFixed(2)} × raw)`
        : missing("checkpoint"),
    }),
  );
  const load = byId("checkpoint", "load");
  const loadGBps = num(load, "bestGBps");
  out.push(
    figure({
      id: "load_verify",
      figure: `store.load() + verify, ${mib.toFixed(0)} MiB (page cache)`,
      value: loadGBps,
      unit: "GB/s",
      reference: "raw read (page cache)",
      referenceValue: num(byId("checkpoint", "raw_read"), "bestGBps"),
      referenceUnit: "GB/s",
      ratio: num(load, "ratioBest"),
      ratioLabel: "× raw",
      target: "≥ 2 GB/s",
      met: loadGBps === null ? null : loadGBps >= 2,
      note: load ? `median ${num(load, "medianGBps")?.toFixed(2)} GB/s; fresh typed arrays for every tensor` : missing("checkpoint"),
    }),
  );
  const scaling = byId("checkpoint", "save_scaling");
  const scalingRatio = num(scaling, "ratio");
  out.push(
    figure({
      id: "save_scaling",
      figure: `store.save() latency beside ${num(scaling, "count")?.toLocaleString("en-US") ?? "2,000"} checkpoints`,
      value: num(scaling, "ms"),
      unit: "ms",
      reference: "beside 1",
      referenceValue: num(scaling, "referenceMs"),
      referenceUnit: "ms",
      ratio: scalingRatio,
      ratioLabel: "× beside 1",
      target: "≤ 2 × beside 1",
      met: scalingRatio === null ? null : scalingRatio <= 2,
      note: scaling
        ? `median of ${num(byId("checkpoint", "save_with_1"), "reps")} saves of 1 MiB each, the stores taking turns; beside 100: ${num(byId("checkpoint", "save_with_100"), "ms")?.toFixed(1)} ms`
        : missing("checkpoint"),
    }),
  );
  const verify = byId("checkpoint", "verify");
  out.push(
    figure({
      id: "verify",
      figure: "resolve(): hash every byte",
      value: num(verify, "bestGBps"),
      unit: "GB/s",
      reference: "raw read (page cache)",
      referenceValue: num(byId("checkpoint", "raw_read"), "bestGBps"),
      referenceUnit: "GB/s",
      ratio: num(verify, "ratioBest"),
      ratioLabel: "× raw",
      note: verify ? "" : missing("checkpoint"),
    }),
  );

  // The store on S3-compatible object storage, against the plain SDK on the same bytes.
  for (const [id, what, base] of [
    ["save", "store.save() to s3://", "plain SDK multipart upload"],
    ["load", "store.load() + verify from s3://", "plain SDK download"],
  ] as const) {
    const row = byId("s3", id);
    const ratio = num(row, "ratioBest");
    out.push(
      figure({
        id: `s3_${id}`,
        figure: `${what}, ${((num(row, "bytes") ?? 0) / 1048576).toFixed(0)} MiB (local S3 server)`,
        value: num(row, "bestGBps"),
        unit: "GB/s",
        reference: base,
        referenceValue: num(byId("s3", id === "save" ? "raw_upload" : "raw_download"), "bestGBps"),
        referenceUnit: "GB/s",
        ratio,
        ratioLabel: "× plain SDK",
        target: "≥ 0.9 × plain SDK",
        met: ratio === null ? null : ratio >= 0.9,
        note: row ? `best of ${row.reps}; median ratio ${num(row, "ratioMedian")?.toFixed(2)}` : missing("s3"),
      }),
    );
  }

  // Async save stall, per demo preset (tiny: the demo's default).
  for (const preset of ["tiny", "small"] as const) {
    const stepRow = byId("async-save", `${preset}_step`);
    if (!stepRow && preset === "small" && quick) continue; // --quick measures the demo's default only
    const syncStall = byId("async-save", `${preset}_sync_stall`);
    const worker = byId("async-save", `${preset}_worker_stall`);
    const workerRatio = num(worker, "ratioToSync");
    out.push(
      figure({
        id: `async_stall_${preset}`,
        figure: `training stall per checkpoint, saveInBackground, ${String(stepRow?.name ?? `UNet ${preset}`).replace(/: training step$/, "")}`,
        value: num(worker, "ms"),
        unit: "ms",
        reference: "sync save() stall",
        referenceValue: num(syncStall, "ms"),
        referenceUnit: "ms",
        ratio: workerRatio,
        ratioLabel: "× sync",
        target: "≤ 0.10 × sync",
        met: workerRatio === null ? null : workerRatio <= 0.1,
        note: worker
          ? `median blocking time of the call, of which waiting for a core ${num(worker, "callRunQueueMs")?.toFixed(2)} ms, copying the snapshot ${num(worker, "snapshotMs")?.toFixed(2)} ms; ` +
            `best ${num(worker, "bestMs")?.toFixed(2)} ms = ${num(worker, "bestRatioToSync")?.toFixed(3)} × best sync; committed within ${num(worker, "commitSteps")} step(s) of ${num(stepRow, "ms")?.toFixed(0)} ms; first save ${num(worker, "firstCallMs")?.toFixed(1)} ms (starts the writer thread)`
          : missing("async-save"),
      }),
    );
    if (worker) {
      out.push(
        figure({
          id: `async_stall_${preset}_window`,
          figure: "  window estimate: + steps slowed while the commit ran",
          value: num(worker, "windowStallMs"),
          unit: "ms",
          reference: "sync save() stall",
          referenceValue: num(syncStall, "ms"),
          referenceUnit: "ms",
          ratio: num(worker, "windowRatioToSync"),
          ratioLabel: "× sync",
          note: `resolution: step jitter ± ${num(stepRow, "jitterMs")?.toFixed(1)} ms (median absolute deviation) on this shared machine`,
        }),
      );
    }
    const inline = byId("async-save", `${preset}_inline_stall`);
    if (inline) {
      out.push(
        figure({
          id: `async_stall_${preset}_inline`,
          figure: "  the same, inline writer (async I/O on the main thread)",
          value: num(inline, "ms"),
          unit: "ms",
          reference: "sync save() stall",
          referenceValue: num(syncStall, "ms"),
          referenceUnit: "ms",
          ratio: num(inline, "ratioToSync"),
          ratioLabel: "× sync",
          note: `window estimate ${num(inline, "windowStallMs")?.toFixed(1)} ms; committed only after ${num(inline, "commitSteps")} steps (about one I/O completion per step)`,
        }),
      );
    }
  }
  const largeSync = byId("async-save", "large_sync_save");
  const largeCall = byId("async-save", "large_background_call");
  const largeRatio = num(largeCall, "ratioToSync");
  out.push(
    figure({
      id: "async_stall_large",
      figure: `saveInBackground() blocks, ${String(largeSync?.name ?? "large state").replace(/: sync save\(\) blocks$/, "")}`,
      value: num(largeCall, "ms"),
      unit: "ms",
      reference: "sync save()",
      referenceValue: num(largeSync, "ms"),
      referenceUnit: "ms",
      ratio: largeRatio,
      ratioLabel: "× sync",
      target: "≤ 0.10 × sync",
      met: largeRatio === null ? null : largeRatio <= 0.1,
      note: largeCall ? `the snapshot copy; commit done in ${num(largeCall, "commitMs")?.toFixed(0)} ms meanwhile` : missing("async-save"),
    }),
  );

  // Peak memory.
  for (const mode of ["save", "background", "load"] as const) {
    const r = byId("memory", `peak_${mode}`);
    const ratio = num(r, "ratioToState");
    const state = num(r, "stateMiB");
    out.push(
      figure({
        id: `peak_rss_${mode}`,
        figure: `peak extra RSS, ${{ save: "save()", background: "saveInBackground()", load: "load()" }[mode]}`,
        value: num(r, "extraMiB"),
        unit: "MiB",
        reference: "state size",
        referenceValue: state,
        referenceUnit: "MiB",
        ratio,
        ratioLabel: "× state",
        // "A small constant": 64 MiB, whatever the state's size (the writer thread's isolate is ~30 MiB).
        target: mode === "load" ? "≤ 1 × state + 64 MiB (the tensors)" : "≤ 1 × state + 64 MiB",
        met: ratio === null || state === null ? null : ratio <= 1 + 64 / state,
        note: r
          ? mode === "background"
            ? "the snapshot copy + the writer thread (isolate, modules)"
            : mode === "save"
              ? "streams tensor by tensor; written bytes go to the page cache, not the process"
              : "the loaded tensors themselves; no whole-file buffer"
          : missing("memory"),
      }),
    );
  }

  // Engine: MLP.
  const mlp = find("engine", (r) => r.name === "summary (best rounds)");
  const mlpMs = num(mlp, "ms");
  const overForward = num(mlp, "stepOverForward");
  const mlpTargets = allOf([
    ["≤ 1.5 ms", mlpMs === null ? null : mlpMs <= 1.5],
    ["≤ 3.5 × forward", overForward === null ? null : overForward <= 3.5],
  ]);
  out.push(
    figure({
      id: "mlp_step",
      figure: "MLP 784-256-10 step (AdamW, batch 64)",
      value: mlpMs,
      unit: "ms",
      reference: "forward only",
      referenceValue: mlpMs !== null && overForward ? mlpMs / overForward : null,
      referenceUnit: "ms",
      ratio: overForward,
      ratioLabel: "× forward",
      target: mlpTargets.target,
      met: mlpTargets.met,
      note: mlp ? ["best round", mlpTargets.missed].filter(Boolean).join("; ") : missing("engine"),
    }),
  );
  const tfjsOver = num(mlp, "tfjsOverStep");
  const tfjsRow = find("engine", (r) => /TF\.js wasm step, minimize/.test(r.name) || /TensorFlow\.js wasm/.test(r.name));
  out.push(
    figure({
      id: "mlp_vs_tfjs",
      figure: "  TensorFlow.js wasm, same model + optimizer",
      value: num(tfjsRow, "bestMs") ?? num(tfjsRow, "ms"),
      unit: "ms",
      reference: "our step",
      referenceValue: mlpMs,
      referenceUnit: "ms",
      ratio: tfjsOver,
      ratioLabel: "× slower",
      target: "≥ 15 × slower",
      met: tfjsOver === null ? null : tfjsOver >= 15,
      note: mlp ? `hand-written backward: ${num(mlp, "tfjsManualOverStep")?.toFixed(1) ?? "–"}× slower` : missing("engine"),
    }),
  );

  // Engine: UNet (the demo's preset and batch).
  const demo = quick ? "tiny batch 32" : "small batch 64";
  const unetStep = find("unet", (r) => r.name === `${demo}: training step (DDPM, AdamW)`);
  const unetForward = find("unet", (r) => r.name === `${demo}: forward (sample graph)`);
  const unetTfjs = find("unet", (r) => r.name === `${demo}: TF.js wasm training step`);
  const us = num(unetStep, "ms");
  const uf = num(unetForward, "ms");
  const unetRatio = us !== null && uf !== null ? us / uf : null;
  out.push(
    figure({
      id: "unet_step",
      figure: `UNet ${demo} step (DDPM, AdamW)`,
      value: us,
      unit: "ms",
      reference: "forward only",
      referenceValue: uf,
      referenceUnit: "ms",
      ratio: unetRatio,
      ratioLabel: "× forward",
      target: "≤ 3.5 × forward",
      met: unetRatio === null ? null : unetRatio <= 3.5,
      note: unetStep ? `best round; ${String(unetStep.note ?? "")}` : missing("unet"),
    }),
  );
  const ut = num(unetTfjs, "ms");
  out.push(
    figure({
      id: "unet_vs_tfjs",
      figure: "  TensorFlow.js wasm, same UNet + DDPM step",
      value: ut,
      unit: "ms",
      reference: "our step",
      referenceValue: us,
      referenceUnit: "ms",
      ratio: ut !== null && us !== null ? ut / us : null,
      ratioLabel: "× slower",
      note: unetTfjs
        ? String(unetTfjs.note ?? "")
        : results.find((r) => r.bench === "unet")?.error !== undefined
          ? missing("unet")
          : "not in bench/unet.bench.ts's output",
    }),
  );

  // Engine: the char transformer.
  const lmStep = byId("transformer", "step");
  const lmForward = byId("transformer", "forward");
  const lmTfjs = byId("transformer", "tfjs_step");
  const lmTorch = byId("transformer", "torch_step");
  const lmRatio = num(lmStep, "stepOverForward");
  out.push(
    figure({
      id: "transformer_step",
      figure: `char transformer ${quick ? "(quick: 2 layers, d 64)" : "4 layers, d 128, context 128, batch 32"} step (AdamW)`,
      value: num(lmStep, "ms"),
      unit: "ms",
      reference: "forward only",
      referenceValue: num(lmForward, "ms"),
      referenceUnit: "ms",
      ratio: lmRatio,
      ratioLabel: "× forward",
      target: "≤ 3.5 × forward",
      met: lmRatio === null ? null : lmRatio <= 3.5,
      note: lmStep ? `best round; ${String(lmStep.note ?? "")}; ${String(lmTorch?.note ?? "PyTorch: not measured")}` : missing("transformer"),
    }),
  );
  const lmTfjsRatio = num(lmTfjs, "overOurStep");
  out.push(
    figure({
      id: "transformer_vs_tfjs",
      figure: "  TensorFlow.js wasm, same transformer + AdamW",
      value: num(lmTfjs, "ms"),
      unit: "ms",
      reference: "our step",
      referenceValue: num(lmStep, "ms"),
      referenceUnit: "ms",
      ratio: lmTfjsRatio,
      ratioLabel: "× slower",
      target: "≥ 10 × slower",
      met: lmTfjsRatio === null ? null : lmTfjsRatio >= 10,
      note: lmTfjs ? String(lmTfjs.note ?? "") : missing("transformer"),
    }),
  );

  // Resume.
  const resumeRows = rows.filter((r) => r.bench === "resume");
  const reference = resumeRows.find((r) => /^reference: load/.test(r.name));
  const freshReference = byId("resume", "reference_process");
  // The restarts in the bench's process (its JIT warm), and one in a fresh process against the
  // reference in a fresh process too.
  const resumeCases = [
    ["resume_same_kernel", "rerun in the same kernel", reference, "load + compile sampler + 16 samples"],
    ["resume_restart", "rerun after a kernel restart", reference, "load + compile sampler + 16 samples"],
    ["resume_restart_first", "restart with an empty graph cache", reference, "load + compile sampler + 16 samples"],
    ["resume_restart_process", "rerun in a fresh process", freshReference, "the same, in a fresh process"],
  ] as const;
  for (const [id, label, referenceRow, referenceLabel] of resumeCases) {
    const r = resumeRows.find((x) => x.name.includes(label) && x.name.endsWith("first resumed step"));
    const ms = num(r, "ms");
    const ref = num(referenceRow, "ms");
    const ratio = ms !== null && ref !== null ? ms / ref : null;
    const t = allOf([
      ["≤ 1500 ms", ms === null ? null : ms <= 1500],
      ["≤ 1.3 × reference", ratio === null ? null : ratio <= 1.3],
    ]);
    out.push(
      figure({
        id,
        figure: `rerun-to-resume latency, ${label}`,
        value: ms,
        unit: "ms",
        reference: referenceLabel,
        referenceValue: ref,
        referenceUnit: "ms",
        ratio,
        ratioLabel: "× reference",
        target: t.target,
        met: t.met,
        note: r ? [`${String(r.name.split(":")[0])} preset`, t.missed].filter(Boolean).join("; ") : missing("resume"),
      }),
    );
  }

  // Unattended rerun-to-resume (nbresume run): death → first resumed step, against a restart by hand.
  const supervised = byId("supervisor", "supervised_resume");
  const supervisedRatio = num(supervised, "ratio");
  out.push(
    figure({
      id: "supervised_resume",
      figure: "kernel death → first resumed step under nbresume run",
      value: num(supervised, "ms"),
      unit: "ms",
      reference: "rerun after a plain kernel restart",
      referenceValue: num(supervised, "referenceMs"),
      referenceUnit: "ms",
      ratio: supervisedRatio,
      ratioLabel: "× rerun (after kernel start)",
      target: "≤ 1.5 × rerun + kernel start",
      met: supervisedRatio === null ? null : supervisedRatio <= 1.5,
      note: supervised
        ? `kernel start ${num(supervised, "kernelStartMs")?.toFixed(0)} ms; noticed ${num(byId("supervisor", "supervised_notice"), "ms")?.toFixed(0)} ms, restarted ${num(byId("supervisor", "supervised_restart"), "ms")?.toFixed(0)} ms, cells ${num(byId("supervisor", "supervised_cells"), "ms")?.toFixed(0)} ms, train() ${num(byId("supervisor", "supervised_train"), "ms")?.toFixed(0)} ms`
        : missing("supervisor"),
    }),
  );

  // Rendering.
  const grid = byId("render", "grid");
  const gridMs = num(grid, "median_ms");
  out.push(
    figure({
      id: "grid_render",
      figure: "sample grid, 16 × 28×28 → PNG",
      value: gridMs,
      unit: "ms",
      reference: "PNG encode alone",
      referenceValue: num(byId("render", "grid_encode_only"), "median_ms"),
      referenceUnit: "ms",
      ratio: gridMs !== null ? gridMs / 20 : null,
      ratioLabel: "× target",
      target: "≤ 20 ms",
      met: gridMs === null ? null : gridMs <= 20,
      note: grid ? `p90 ${num(grid, "p90_ms")?.toFixed(1)} ms` : missing("render"),
    }),
  );
  const chart = byId("render", "chart_warm");
  const chartFirst = byId("render", "chart_first");
  out.push(
    figure({
      id: "chart_render",
      figure: "loss chart (3,000 points) → PNG, warm",
      value: num(chart, "median_ms"),
      unit: "ms",
      reference: "first render in the process",
      referenceValue: num(chartFirst, "ms"),
      referenceUnit: "ms",
      ratio: num(chart, "median_ms") !== null && num(chartFirst, "ms") !== null ? num(chart, "median_ms")! / num(chartFirst, "ms")! : null,
      ratioLabel: "× first",
      note: chart
        ? `vega ${num(byId("render", "chart_vega"), "share")?.toFixed(2)} of it, rasterise ${num(byId("render", "chart_rasterise"), "share")?.toFixed(2)}`
        : missing("render"),
    }),
  );
  return out;
}

/** This machine, as BENCHMARKS.md records it. */
export function machine(): Record<string, string | number> {
  const cpu = (() => {
    try {
      return /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
    } catch {
      return os.cpus()[0]?.model ?? "unknown";
    }
  })();
  const ort = (() => {
    try {
      return (JSON.parse(readFileSync(new URL("../node_modules/onnxruntime-node/package.json", import.meta.url), "utf8")) as { version: string }).version;
    } catch {
      return "unknown";
    }
  })();
  let nproc = os.availableParallelism();
  try {
    nproc = Number(execFileSync("nproc", { encoding: "utf8" }).trim());
  } catch {
    // os.availableParallelism() then
  }
  return {
    nproc,
    cpu,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    onnxruntime: ort,
    platform: `${os.type()} ${os.release()}`,
    tmpdir: os.tmpdir(),
    loadavg: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" "),
  };
}

function cell(value: number | null, unit: string): string {
  if (value === null) return "–";
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  return `${value.toFixed(digits)} ${unit}`;
}

function ratioCell(f: Figure): string {
  if (f.ratio === null) return "–";
  const r = f.ratio;
  return `${r.toFixed(Math.abs(r) >= 10 ? 1 : Math.abs(r) >= 0.1 ? 2 : 3)} ${f.ratioLabel}`;
}

export function table(fs: readonly Figure[]): string {
  const head = ["figure", "value", "reference", "ratio", "target", "met"];
  const body = fs.map((f) => [
    f.figure,
    cell(f.value, f.unit),
    f.reference ? `${cell(f.referenceValue, f.referenceUnit)} (${f.reference})` : "–",
    ratioCell(f),
    f.target || "–",
    f.met === null ? "–" : f.met ? "yes" : "NO",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(head), line(widths.map((w) => "─".repeat(w))), ...body.map(line)].join("\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const quick = args.includes("--quick");
  const log = (line: string): void => {
    if (!json) process.stderr.write(`${line}\n`);
  };
  const info = machine();
  log(
    `nbresume benchmarks${quick ? " (--quick: a smoke run, not the numbers)" : ""} — ${info.nproc} × ${info.cpu}, ${info.memoryGiB} GiB, node ${info.node}, onnxruntime ${info.onnxruntime}, load average ${info.loadavg}`,
  );
  const t0 = performance.now();
  const results: ModuleResult[] = [];
  for (const m of MODULES) {
    settleDisk();
    const r = await runModule(m, quick, log);
    results.push(r);
    log(r.error === undefined ? `  ${m.file}: ${r.rows.length} rows in ${r.seconds.toFixed(1)} s` : `  ${m.file}: FAILED (${r.error})`);
  }
  const fs = figures(results, quick);
  const end = {
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    loadavgEnd: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" "),
    date: new Date().toISOString(),
  };
  const lines = [
    JSON.stringify({ kind: "machine", quick, ...info, ...end }),
    ...fs.map((f) => JSON.stringify({ kind: "figure", ...f })),
    ...results.flatMap((r) => r.rows.map((row) => JSON.stringify({ kind: "row", ...row }))),
    ...results.map((r) =>
      JSON.stringify({
        kind: "module",
        bench: r.bench,
        how: r.how,
        seconds: Number(r.seconds.toFixed(1)),
        rows: r.rows.length,
        ...(r.error === undefined ? {} : { error: r.error }),
      }),
    ),
  ];
  const outAt = args.indexOf("--out");
  if (outAt >= 0 && args[outAt + 1] !== undefined) writeFileSync(args[outAt + 1]!, `${lines.join("\n")}\n`);
  if (json) {
    for (const line of lines) console.log(line);
  } else {
    console.log(table(fs));
    console.log(
      `\n${fs.filter((f) => f.met === false).length} target(s) missed, ${fs.filter((f) => f.met === true).length} met; ${end.seconds} s; load average ${info.loadavg} → ${end.loadavgEnd}`,
    );
    for (const f of fs) if (f.note) console.log(`  ${f.id}: ${f.note}`);
  }
  if (results.some((r) => r.error !== undefined && r.how !== "missing")) process.exitCode = 1;
}

if (isMain(import.meta.url)) await main();

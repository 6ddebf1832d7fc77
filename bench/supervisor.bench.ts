/**
 * `nbresume run`'s own overhead: the time from a kernel's death to the first resumed training
 * step under the supervisor, against what the same recovery costs by hand in the same run — a
 * plain kernel restart (Kernel → Restart: restart request → kernel answers) and a rerun of the
 * notebook's cells in it (first cell sent → first resumed step). Target: supervised
 * ≤ 1.5 × the rerun + the kernel's start time.
 *
 *   node --import tsx bench/supervisor.bench.ts [--json] [--rounds N] [--quick]
 *   supervisorBench({ rounds, quick }) → rows, for bench/suite.ts (`npm run bench`)
 *
 * The notebook is the demo's tiny UNet on MNIST (batch 32, a preview of 16 DDIM-20 samples on
 * resume, as bench/resume.bench.ts measures), written to a temporary project whose
 * node_modules/nbresume links to this checkout, with the nbresume kernel installed in a private
 * JUPYTER_PATH and the built package (dist/) imported by the kernel: `npm run build` first.
 * The first resumed step is timed inside the kernel (train()'s own timings against the wall
 * clock the cell read before calling it), so no display refresh interval blurs it.
 * Supervised: the kernel process is SIGKILLed at a random moment after training made its first
 * checkpoint; the supervisor's timeline splits the time into noticing the death (the server's
 * restarter polls every 0.5 s), the kernel's restart, the cells before the training cell, and
 * the training cell until its first resumed step.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { CheckpointStore } from "../src/checkpoint/store-factory.js";
import { CellOutputs } from "../src/supervisor/cell-outputs.js";
import type { JupyterClient, KernelSession } from "../src/supervisor/jupyter.js";
import { connectJupyter } from "../src/supervisor/jupyter-services.js";
import { cellSource, joinText, type Notebook } from "../src/supervisor/notebook-file.js";
import { startOwnServer, type OwnServer } from "../src/supervisor/own-server.js";
import { injectParameters, parseParameter } from "../src/supervisor/parameters.js";
import { superviseNotebook } from "../src/supervisor/supervisor.js";
import type { TimelineEvent } from "../src/supervisor/supervisor-options.js";
import { type BenchRow, cliOption, isMain, median, printRows } from "./bench-row.js";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface SupervisorBenchOptions {
  /** Measured rounds of each kind (default 3; 1 with quick). */
  readonly rounds?: number;
  readonly quick?: boolean;
}

/** The bench's notebook: the demo model, a parameters cell, and a training cell that reports when its first step began. */
function benchNotebook(): Notebook {
  const code = (source: string, tags?: string[]) => ({
    cell_type: "code",
    metadata: tags === undefined ? {} : { tags },
    source,
    outputs: [],
    execution_count: null,
  });
  return {
    cells: [
      code('import { resumable, mnist, ddpm, adamw, linearWarmup } from "nbresume";'),
      code('let steps = 1000000;\nlet dir = "runs/bench";\nlet stopAfterMs = 4000;', ["parameters"]),
      code("const digits = await mnist();"),
      code(
        'const run = resumable({ dir, model: ddpm({ unet: "tiny" }), data: digits, optimizer: adamw(), schedule: linearWarmup(2e-3, 100),\n' +
          "  clipGradNorm: 1, steps, batchSize: 32, checkpointEvery: 10, evalBatches: 2, preview: { samples: 16, samplerSteps: 20, eta: 1 } });",
      ),
      code(
        "const started = Date.now();\nconst result = await run.train({ signal: AbortSignal.timeout(stopAfterMs) });\n" +
          'console.log("BENCH " + JSON.stringify({ started, startStep: result.startStep, training: result.timings.training }));',
      ),
    ],
    metadata: { kernelspec: { name: "nbresume", display_name: "TypeScript (nbresume)", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 4,
  };
}

interface BenchLine {
  readonly started: number;
  readonly startStep: number;
  readonly training: number;
}

function benchLine(stdout: string): BenchLine {
  const line = stdout
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("BENCH "));
  if (line === undefined) throw new Error(`the training cell printed no BENCH line:\n${stdout}`);
  return JSON.parse(line.slice(6)) as BenchLine;
}

async function newestStep(dir: string): Promise<number> {
  try {
    const store = await CheckpointStore.open(dir, { readOnly: true });
    try {
      return (await store.resolve("auto"))?.step ?? -1;
    } finally {
      await store.close();
    }
  } catch {
    return -1;
  }
}

/** A project with node_modules/nbresume → this checkout and the kernel in a private JUPYTER_PATH. */
function createProject(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), "nbresume-supervisor-bench-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(REPO_ROOT, join(dir, "node_modules", "nbresume"));
  const jupyterPath = join(dir, "jupyter");
  const r = spawnSync(process.execPath, [join(REPO_ROOT, "kernel", "install.mjs"), "--jupyter-path", jupyterPath], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`kernel/install.mjs failed: ${r.stdout}${r.stderr}`);
  return {
    dir,
    env: {
      ...process.env,
      JUPYTER_PATH: jupyterPath,
      JUPYTER_DATA_DIR: join(dir, "data"),
      JUPYTER_CONFIG_DIR: join(dir, "config"),
      JUPYTER_PLATFORM_DIRS: "0",
      NBRESUME_CACHE_DIR: join(dir, "cache"),
    },
  };
}

async function executeAll(session: KernelSession, sources: readonly string[]): Promise<string> {
  let stdout = "";
  for (const code of sources) {
    const outputs = new CellOutputs();
    const reply = await session.execute(code, (m) => outputs.apply(m));
    stdout += outputs.text("stdout");
    if (reply.status !== "ok") throw new Error(`cell failed: ${code}\n${outputs.text("stderr")}${outputs.text("stdout")}`);
  }
  return stdout;
}

interface PlainRound {
  readonly kernelStart: number;
  readonly rerun: number;
  readonly train: number;
}

/** The reference: a kernel restarted by hand through the server, every cell rerun in it. */
class PlainRestarts {
  private constructor(
    private readonly server: OwnServer,
    private readonly client: JupyterClient,
    private session: KernelSession,
    private readonly sources: readonly string[],
  ) {}

  /** A server, a kernel, and a first run from scratch: the checkpoint every round resumes from. */
  static async open(project: { dir: string; env: NodeJS.ProcessEnv }): Promise<PlainRestarts> {
    const notebook = injectParameters(benchNotebook(), [parseParameter("dir=runs/plain"), parseParameter("stopAfterMs=1500")], "bench.ipynb").notebook;
    const sources = notebook.cells.map((c) => cellSource(c));
    const server = await startOwnServer({ rootDir: project.dir, kernelName: "nbresume", startTimeoutMs: 120_000, env: project.env });
    const client = connectJupyter({ baseUrl: server.baseUrl, token: server.token });
    const session = await client.startSession("plain.ipynb", "nbresume");
    const plain = new PlainRestarts(server, client, session, sources);
    await session.waitReady(120_000);
    await executeAll(session, sources);
    return plain;
  }

  /** Restart (timed until the kernel answers), rerun every cell (timed until the first resumed step). */
  async round(): Promise<PlainRound> {
    const t0 = Date.now();
    const response = await fetch(`${this.server.baseUrl}api/kernels/${this.session.kernelId}/restart`, {
      method: "POST",
      headers: { Authorization: `token ${this.server.token}` },
    });
    if (!response.ok) throw new Error(`restart: HTTP ${response.status}`);
    this.session = await this.client.reconnect(this.session);
    await this.session.waitReady(120_000);
    const t1 = Date.now();
    const line = benchLine(await executeAll(this.session, this.sources));
    if (line.startStep <= 0) throw new Error(`the rerun did not resume (start step ${line.startStep})`);
    return { kernelStart: t1 - t0, rerun: line.started + line.training - t1, train: line.training };
  }

  async close(): Promise<void> {
    await this.session.shutdown(10_000);
    this.client.dispose();
    await this.server.stop(10_000);
  }
}

interface SupervisedRound {
  readonly total: number;
  readonly notice: number;
  readonly restart: number;
  readonly cells: number;
  readonly trainCell: number;
  readonly train: number;
}

/** Under the supervisor: SIGKILL the kernel after its first checkpoint; time death → first resumed step. */
async function supervisedRound(project: { dir: string; env: NodeJS.ProcessEnv }, round: number): Promise<SupervisedRound> {
  const path = join(project.dir, `supervised-${round}.ipynb`);
  writeFileSync(path, JSON.stringify(benchNotebook()));
  const runDir = `runs/supervised-${round}`;
  const events: TimelineEvent[] = [];
  let killedAt: number | undefined;
  let killer: Promise<void> | undefined;
  const trainingCell = benchNotebook().cells.length + 1; // 1-based, after the injected cell
  const result = await superviseNotebook({
    notebook: path,
    // From scratch to 60 steps: killed after the first checkpoint (step 10), resumed, finished.
    parameters: [parseParameter(`dir=${runDir}`), parseParameter("steps=60"), parseParameter("stopAfterMs=120000")],
    env: project.env,
    maxRestarts: 1,
    onTimeline: (event) => {
      events.push(event);
      if (event.what === "cell-started" && event.cell === trainingCell && killer === undefined) {
        const pid = events.filter((e) => e.what === "kernel-ready").at(-1)?.pid;
        killer = (async () => {
          while ((await newestStep(join(project.dir, runDir))) <= 0) await sleep(20);
          await sleep(Math.random() * 300);
          if (pid === undefined) throw new Error("no kernel pid (own server expected)");
          killedAt = Date.now();
          process.kill(pid, "SIGKILL");
        })();
      }
    },
  });
  await killer;
  if (result.status !== "finished" || result.restarts.length !== 1 || killedAt === undefined)
    throw new Error(`round ${round}: ${result.status}, ${result.restarts.length} restarts`);
  const executed = JSON.parse(readFileSync(result.out, "utf8")) as Notebook;
  const cell = executed.cells[trainingCell - 1];
  const line = benchLine(
    (cell?.outputs ?? [])
      .filter((o) => o["name"] === "stdout")
      .map((o) => joinText(o["text"]))
      .join(""),
  );
  const first = line.started + line.training;
  const at = (what: TimelineEvent["what"], cell?: number): number => {
    const e = events.find((x) => x.what === what && x.at >= (killedAt as number) - 1 && (cell === undefined || x.cell === cell));
    if (e === undefined) throw new Error(`no ${what} event after the kill`);
    return e.at;
  };
  const lost = events.find((x) => x.what === "kernel-lost")?.at ?? Number.NaN;
  const ready = at("kernel-ready");
  const trainStart = at("cell-started", trainingCell);
  return {
    total: first - killedAt,
    notice: lost - killedAt,
    restart: ready - lost,
    cells: trainStart - ready,
    trainCell: line.started - trainStart,
    train: line.training,
  };
}

export async function supervisorBench(options: SupervisorBenchOptions = {}): Promise<BenchRow[]> {
  const rounds = options.rounds ?? (options.quick === true ? 1 : 3);
  const project = createProject();
  const rows: BenchRow[] = [];
  const report = (id: string, name: string, ms: number, extra: Record<string, number | string> = {}): void => {
    rows.push({ bench: "supervisor", id, name, ms, ...extra });
  };
  let reference: PlainRestarts | undefined;
  try {
    reference = await PlainRestarts.open(project);
    const plain: PlainRound[] = [];
    const supervised: SupervisedRound[] = [];
    // Interleaved, one warm-up round of each: the machine is shared, and its load drifts.
    for (let r = 0; r <= rounds; r++) {
      const p = await reference.round();
      const s = await supervisedRound(project, r);
      if (r === 0) continue;
      plain.push(p);
      supervised.push(s);
    }
    const m = <T>(xs: readonly T[], f: (x: T) => number): number => median(xs.map(f));
    const total = m(supervised, (s) => s.total);
    const rerun = m(plain, (p) => p.rerun);
    const kernelStart = m(plain, (p) => p.kernelStart);
    const ratio = (total - kernelStart) / rerun;
    report("supervised_resume", "kernel SIGKILLed → first resumed step under nbresume run", total, {
      referenceMs: rerun,
      kernelStartMs: kernelStart,
      ratio,
      note:
        `(value − kernel start) ÷ rerun = ${ratio.toFixed(2)} (target ≤ 1.5: ${ratio <= 1.5 ? "met" : "MISSED"}); median of ${rounds}: ` +
        `${supervised.map((x) => x.total.toFixed(0)).join(", ")} ms supervised; ${plain.map((x) => `${x.kernelStart.toFixed(0)} + ${x.rerun.toFixed(0)}`).join(", ")} ms by hand`,
    });
    report(
      "supervised_notice",
      "  death noticed (the server's restarter polls every 0.5 s)",
      m(supervised, (s) => s.notice),
    );
    report(
      "supervised_restart",
      "  kernel restarted by the server, answering",
      m(supervised, (s) => s.restart),
    );
    report(
      "supervised_cells",
      "  cells before the training cell (imports, MNIST, resumable())",
      m(supervised, (s) => s.cells),
    );
    report(
      "supervised_train_cell",
      "  training cell sent → train() called (tslab compiles the cell)",
      m(supervised, (s) => s.trainCell),
    );
    report(
      "supervised_train",
      "  train() → first resumed step (resolve, preview, session)",
      m(supervised, (s) => s.train),
    );
    report("plain_kernel_start", "reference: plain kernel restart → kernel answers", kernelStart);
    report("plain_rerun", "reference: rerun every cell after it → first resumed step", rerun);
    report(
      "plain_train",
      "  of which train() → first resumed step",
      m(plain, (p) => p.train),
    );
    return rows;
  } finally {
    await reference?.close();
    rmSync(project.dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const rounds = cliOption("--rounds", args) === undefined ? undefined : Number(cliOption("--rounds", args));
  if (rounds !== undefined && !(Number.isSafeInteger(rounds) && rounds >= 1)) {
    console.error("usage: node --import tsx bench/supervisor.bench.ts [--json] [--rounds N] [--quick]");
    process.exit(2);
  }
  printRows(await supervisorBench({ quick: args.includes("--quick"), ...(rounds === undefined ? {} : { rounds }) }), args.includes("--json"));
}

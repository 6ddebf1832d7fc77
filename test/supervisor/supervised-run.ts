/**
 * `nbresume run` as a user runs it, for the supervisor's tests: the CLI in a child process (from
 * the sources, through tsx; the kernel imports the built package, as in every kernel test), in a
 * temporary project where node_modules/nbresume links to this checkout and the nbresume kernel is
 * installed in a private JUPYTER_PATH. The child's TMPDIR is the project's own, so the processes
 * of its Jupyter server and kernels are found by their command lines, and nothing else's are.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { pidsWithArgument } from "../../src/supervisor/kernel-processes.js";
import type { Notebook } from "../../src/supervisor/notebook-file.js";
import { REPO_ROOT } from "../support/jupyter-server.js";
import { createUserProject, type UserProject } from "../support/user-project.js";

export const CLI_MAIN = join(REPO_ROOT, "src", "cli", "main.ts");
/** tsx by URL: the child runs in the project folder, where no node_modules/tsx is. */
const TSX = pathToFileURL(join(REPO_ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;

export interface Project extends UserProject {
  /** TMPDIR of the CLI (and so of its server's runtime directory). */
  readonly tmp: string;
  /** The environment the CLI runs with. */
  readonly env: NodeJS.ProcessEnv;
  /** Writes a notebook into the project; returns its path. */
  writeNotebook(name: string, notebook: Notebook | object): string;
  /** Installs a kernelspec `name` whose process exits at once, every time. */
  installDyingKernel(name: string): void;
}

/** Kills whatever a failed test left running from the project: servers serving it, kernels of their runtime dirs. */
function killLeftovers(dir: string, tmp: string): void {
  for (const pid of [...pidsWithArgument(`--ServerApp.root_dir=${dir}`), ...pidsWithArgument(`${tmp}/nbresume-run-`)]) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

export function createProject(prefix: string): Project {
  const user = createUserProject(prefix);
  const tmp = join(user.dir, ".tmp");
  mkdirSync(tmp);
  const env: NodeJS.ProcessEnv = { ...user.jupyter.env, TMPDIR: tmp, NO_COLOR: "1", NBRESUME_SMOKE: "1", NBRESUME_CACHE_DIR: join(tmp, "cache") };
  return {
    ...user,
    remove() {
      killLeftovers(user.dir, tmp);
      user.remove();
    },
    tmp,
    env,
    writeNotebook(name, notebook) {
      const path = join(user.dir, name);
      writeFileSync(path, JSON.stringify(notebook, null, 1));
      return path;
    },
    installDyingKernel(name) {
      const dir = join(user.jupyter.jupyterPath, "kernels", name);
      mkdirSync(dir, { recursive: true });
      const spec = { argv: [process.execPath, "-e", "process.exit(1)", "{connection_file}"], display_name: `${name} (dies at once)`, language: "typescript" };
      writeFileSync(join(dir, "kernel.json"), JSON.stringify(spec));
    },
  };
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class SupervisedRun {
  stdout = "";
  stderr = "";
  readonly exited: Promise<Exit>;

  private constructor(
    readonly project: Project,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on("data", (d: Buffer) => (this.stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));
  }

  /** `nbresume run ARGS…` in the project folder. */
  static start(project: Project, args: readonly string[], env: NodeJS.ProcessEnv = {}): SupervisedRun {
    const child = spawn(process.execPath, ["--import", TSX, CLI_MAIN, "run", ...args], {
      cwd: project.dir,
      env: { ...project.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new SupervisedRun(project, child);
  }

  /** Runs to the end. */
  static async run(project: Project, args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 180_000): Promise<SupervisedRun & { exit: Exit }> {
    const run = SupervisedRun.start(project, args, env);
    const exit = await run.finish(timeoutMs);
    return Object.assign(run, { exit });
  }

  get output(): string {
    return `--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`;
  }

  /** Waits for the run to end (killing it after `timeoutMs`). */
  async finish(timeoutMs = 180_000): Promise<Exit> {
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** Closes the reading end of the run's stdout, as `nbresume run … | head -5` does once head has its lines. */
  closeStdout(): void {
    this.child.stdout?.destroy();
  }

  /** Waits until `pred` holds, failing with the output so far when the run ends first or time runs out. */
  async until(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let ended = false;
    void this.exited.then(() => (ended = true));
    while (!(await pred())) {
      if (ended) throw new Error(`nbresume run ended before ${what}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms:\n${this.output}`);
      await sleep(50);
    }
  }

  /** Pids of the kernels of the run's own Jupyter server. */
  kernelPids(): number[] {
    return pidsWithArgument(`${this.project.tmp}/nbresume-run-`).filter((pid) => readCmdline(pid).includes("kernel-"));
  }

  /** Pid of the run's own Jupyter server: its kernel's parent. */
  serverPid(): number | undefined {
    const kernel = this.kernelPids()[0];
    if (kernel === undefined) return undefined;
    const stat = readFileSync(`/proc/${kernel}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  }
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** The newest checkpoint that verifies in a run directory (what a rerun resumes from), if any. */
export async function newestCheckpoint(dir: string): Promise<{ step: number; name: string } | undefined> {
  try {
    const store = await CheckpointStore.open(dir, { readOnly: true });
    try {
      const r = await store.resolve("auto");
      return r === undefined ? undefined : { step: r.step, name: r.name };
    } finally {
      await store.close();
    }
  } catch {
    return undefined;
  }
}

/** The executed notebook as JSON. */
export function readExecuted(path: string): Notebook & { metadata: { nbresume?: { run?: ExecutedRun } } } {
  return JSON.parse(readFileSync(path, "utf8")) as Notebook & { metadata: { nbresume?: { run?: ExecutedRun } } };
}

export interface ExecutedRun {
  readonly status: string;
  readonly parameters: Record<string, unknown>;
  readonly restarts: { at: string; cell: number | null; reason: string; resumedFrom: number | null; checkpoint: string | null }[];
}

/**
 * A real Jupyter server for tests: Debian's `jupyter server` on 127.0.0.1 with a random free port
 * and token, the nbresume kernel installed into a temporary JUPYTER_PATH (never the user's), and
 * kernels driven with @jupyterlab/services exactly as JupyterLab drives them.
 *
 *   const server = await startJupyterServer({ rootDir: NOTEBOOKS_DIR });
 *   const kernel = await server.startKernel();
 *   const r = await kernel.execute(`console.log(1 + 1)`);   // r.status, r.stdout, r.displays, …
 *   await server.close();                                     // kernels, managers, process group
 *
 * Measured tslab traits the harness accounts for (see NOTEBOOK.md):
 * - tslab sends no execute_result / error messages: values and errors are stdout/stderr streams.
 * - After a cell ends with an error tslab aborts every request that arrives within 200 ms, so
 *   execute() waits that long after an error reply before the next cell can be sent.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { KernelManager, ServerConnection, SessionManager } from "@jupyterlab/services";
import type { Kernel, KernelMessage, Session } from "@jupyterlab/services";
import { freePort, jupyterServerArgs } from "../../src/supervisor/own-server.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const NOTEBOOKS_DIR = join(REPO_ROOT, "notebooks");
export const KERNEL_NAME = "nbresume";

/** Debian's jupyter (the pyenv python3 on PATH may have none); JUPYTER_BIN overrides. */
export function jupyterBin(): string {
  if (process.env.JUPYTER_BIN) return process.env.JUPYTER_BIN;
  return existsSync("/usr/bin/jupyter") ? "/usr/bin/jupyter" : "jupyter";
}

/** A fresh temporary Jupyter environment: JUPYTER_PATH with the nbresume kernel, private data/config/runtime dirs. */
export interface JupyterEnv {
  readonly dir: string;
  readonly jupyterPath: string;
  /** Environment variables for any jupyter process that should see only this environment. */
  readonly env: NodeJS.ProcessEnv;
  remove(): void;
}

/** Installs the kernel with the real `npm run kernel:install` script into a temp JUPYTER_PATH. */
export function createJupyterEnv(): JupyterEnv {
  const dir = mkdtempSync(join(tmpdir(), "nbresume-jupyter-"));
  const jupyterPath = join(dir, "jupyter");
  const r = spawnSync(process.execPath, [join(REPO_ROOT, "kernel", "install.mjs"), "--jupyter-path", jupyterPath], { encoding: "utf8" });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kernel/install.mjs failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_PATH: jupyterPath,
    JUPYTER_DATA_DIR: join(dir, "data"),
    JUPYTER_CONFIG_DIR: join(dir, "config"),
    JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
    JUPYTER_PLATFORM_DIRS: "0",
    PYTHONUNBUFFERED: "1",
  };
  return { dir, jupyterPath, env, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One iopub message as the test saw it, with the time it arrived. */
export interface IOPubEntry {
  readonly at: number;
  readonly msgType: string;
  readonly parentMsgId: string | undefined;
  readonly content: Record<string, unknown>;
}

/** A display_data or update_display_data message's payload. */
export interface DisplayOutput {
  readonly displayId: string | undefined;
  /** MIME type → value as sent (binary types base64-encoded). */
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
}

export interface ExecuteResult {
  /** execute_reply status. tslab reports errors as "error" with empty ename/evalue. */
  readonly status: "ok" | "error" | "abort";
  readonly stdout: string;
  readonly stderr: string;
  readonly displays: readonly DisplayOutput[];
  readonly updates: readonly DisplayOutput[];
  /** Every iopub message for this request, in order. */
  readonly messages: readonly IOPubEntry[];
}

export interface ExecuteOptions {
  /** Default 60 000 ms. */
  readonly timeoutMs?: number;
}

/** The request did not finish: the kernel died, restarted, or the timeout passed. */
export class ExecuteFailed extends Error {
  constructor(
    message: string,
    readonly partial: Omit<ExecuteResult, "status">,
    readonly kernelStatus: string,
  ) {
    super(message);
    this.name = "ExecuteFailed";
  }
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};
}

function displayOf(content: Record<string, unknown>): DisplayOutput {
  const transient = asRecord(content.transient);
  return {
    displayId: typeof transient.display_id === "string" ? transient.display_id : undefined,
    data: asRecord(content.data),
    metadata: asRecord(content.metadata),
  };
}

export class KernelHandle {
  /** Every iopub message seen on this connection since the kernel started, whoever it belongs to. */
  readonly log: IOPubEntry[] = [];
  /** Every status the connection went through ("idle", "busy", "autorestarting", "dead", …). */
  readonly statuses: { at: number; status: Kernel.Status }[] = [];
  private lastErrorAt = 0;

  constructor(
    readonly session: Session.ISessionConnection,
    readonly kernel: Kernel.IKernelConnection,
    private readonly runtimeDir: string,
  ) {
    kernel.iopubMessage.connect((_, msg) => {
      this.log.push({
        at: Date.now(),
        msgType: msg.header.msg_type,
        parentMsgId: typeof msg.parent_header === "object" && "msg_id" in msg.parent_header ? msg.parent_header.msg_id : undefined,
        content: asRecord(msg.content),
      });
    });
    kernel.statusChanged.connect((_, status) => {
      this.statuses.push({ at: Date.now(), status });
    });
  }

  get id(): string {
    return this.kernel.id;
  }

  /** Runs one cell and collects its outputs until execute_reply and the kernel's idle status. */
  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const sinceError = Date.now() - this.lastErrorAt;
    if (sinceError < 250) await sleep(250 - sinceError); // tslab aborts requests within 200 ms of an error

    const messages: IOPubEntry[] = [];
    let stdout = "";
    let stderr = "";
    const displays: DisplayOutput[] = [];
    const updates: DisplayOutput[] = [];
    const partial = () => ({ stdout, stderr, displays, updates, messages });

    const future = this.kernel.requestExecute({ code, stop_on_error: false, allow_stdin: false });
    future.onIOPub = (msg: KernelMessage.IIOPubMessage) => {
      const content = asRecord(msg.content);
      messages.push({ at: Date.now(), msgType: msg.header.msg_type, parentMsgId: future.msg.header.msg_id, content });
      if (msg.header.msg_type === "stream") {
        const text = typeof content.text === "string" ? content.text : "";
        if (content.name === "stderr") stderr += text;
        else stdout += text;
      } else if (msg.header.msg_type === "display_data") {
        displays.push(displayOf(content));
      } else if (msg.header.msg_type === "update_display_data") {
        updates.push(displayOf(content));
      }
    };

    let timer: NodeJS.Timeout | undefined;
    let onStatus: ((k: Kernel.IKernelConnection, s: Kernel.Status) => void) | undefined;
    const failure = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new ExecuteFailed(`cell did not finish within ${timeoutMs} ms`, partial(), this.kernel.status));
      }, timeoutMs);
      onStatus = (_k, s) => {
        if (s === "dead" || s === "autorestarting" || s === "restarting") {
          reject(new ExecuteFailed(`kernel went "${s}" while the cell ran`, partial(), s));
        }
      };
      this.kernel.statusChanged.connect(onStatus);
    });
    try {
      const reply = await Promise.race([future.done, failure]);
      const status = asRecord(reply.content).status;
      if (status === "error") this.lastErrorAt = Date.now();
      return { status: status === "ok" || status === "error" || status === "abort" ? status : "error", ...partial() };
    } catch (e) {
      if (e instanceof ExecuteFailed) throw e;
      // services rejects future.done when the kernel restarts under it ("Canceled future …").
      throw new ExecuteFailed(`cell did not finish: ${String(e)}`, partial(), this.kernel.status);
    } finally {
      clearTimeout(timer);
      if (onStatus !== undefined) this.kernel.statusChanged.disconnect(onStatus);
      if (!future.isDisposed) future.dispose();
    }
  }

  /** Sends a kernel interrupt through the server (interrupt_mode "signal": SIGINT to the kernel's process group). */
  async interrupt(): Promise<void> {
    await this.kernel.interrupt();
  }

  /** Restarts the kernel through the server and waits until it answers again. */
  async restart(): Promise<void> {
    await this.kernel.restart();
    await this.waitReady();
  }

  /** Waits until the kernel is connected and idle (e.g. after the server auto-restarted it). */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await Promise.race([this.kernel.requestKernelInfo(), sleep(2_000).then(() => Promise.reject(new Error("no kernel_info_reply in 2 s")))]);
        return;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`kernel ${this.id} not ready after ${timeoutMs} ms: ${String(e)}`);
        await sleep(200);
      }
    }
  }

  /** Waits for a status change that satisfies `pred` at or after `since` (ms epoch). */
  async waitForStatus(pred: (s: Kernel.Status) => boolean, since: number, timeoutMs = 30_000): Promise<Kernel.Status> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.statuses.find((s) => s.at >= since && pred(s.status));
      if (hit !== undefined) return hit.status;
      if (Date.now() > deadline) {
        throw new Error(`kernel ${this.id}: no matching status within ${timeoutMs} ms (saw ${this.statuses.map((s) => s.status).join(", ")})`);
      }
      await sleep(50);
    }
  }

  /** The pid of the tslab process serving this kernel (found by its connection file). */
  kernelPid(): number {
    const pid = findPids(`kernel-${this.id}.json`, this.runtimeDir)[0];
    if (pid === undefined) throw new Error(`no process runs kernel ${this.id} (connection file kernel-${this.id}.json in ${this.runtimeDir})`);
    return pid;
  }

  /** Output sent after `since` on this connection, whatever cell it belongs to (stray output of background loops). */
  streamTextSince(since: number): string {
    return this.log
      .filter((m) => m.at >= since && m.msgType === "stream")
      .map((m) => (typeof m.content.text === "string" ? m.content.text : ""))
      .join("");
  }

  /** Waits until the stream text sent since `since` satisfies `pred` (e.g. a loop printed "step 3"). */
  async waitForStream(pred: (text: string) => boolean, since: number, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.streamTextSince(since);
      if (pred(text)) return text;
      if (Date.now() > deadline) throw new Error(`kernel ${this.id}: expected output did not arrive within ${timeoutMs} ms; got:\n${text}`);
      await sleep(25);
    }
  }

  async shutdown(): Promise<void> {
    if (!this.session.isDisposed) await this.session.shutdown().catch(() => undefined);
    this.session.dispose();
  }
}

/** Pids whose command line contains every one of `parts` (Linux /proc). */
export function findPids(...parts: string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
    } catch {
      continue; // exited meanwhile
    }
    if (parts.every((p) => cmdline.includes(p))) pids.push(Number(entry));
  }
  return pids;
}

export interface JupyterServerOptions {
  /** The server's root_dir; kernels start in it (or in the session path's folder below it). Default: a temp dir. */
  readonly rootDir?: string;
  readonly startTimeoutMs?: number;
}

export class JupyterServer {
  private readonly sessions: SessionManager;
  private readonly kernels: KernelManager;
  private readonly handles: KernelHandle[] = [];
  private closed = false;

  constructor(
    readonly baseUrl: string,
    readonly token: string,
    readonly rootDir: string,
    readonly jupyter: JupyterEnv,
    private readonly proc: ChildProcess,
    private readonly output: { text: string },
    private readonly ownsRootDir: boolean,
  ) {
    const serverSettings = ServerConnection.makeSettings({ baseUrl, wsUrl: baseUrl.replace(/^http/, "ws"), token, appendToken: true });
    this.kernels = new KernelManager({ serverSettings });
    this.sessions = new SessionManager({ serverSettings, kernelManager: this.kernels });
  }

  /** The server's own log so far (for failure messages). */
  get log(): string {
    return this.output.text;
  }

  /**
   * Starts a notebook session with the nbresume kernel. `path` is the notebook path relative to
   * root_dir (it need not exist); the kernel's working directory is its folder.
   */
  async startKernel(options: { path?: string } = {}): Promise<KernelHandle> {
    const path = options.path ?? `nbresume-test-${Math.random().toString(36).slice(2, 10)}.ipynb`;
    const session = await this.sessions.startNew({ path, name: path, type: "notebook", kernel: { name: KERNEL_NAME } });
    const kernel = session.kernel;
    if (kernel === null) throw new Error(`session ${path} started without a kernel`);
    const handle = new KernelHandle(session, kernel, this.jupyter.env.JUPYTER_RUNTIME_DIR ?? "");
    this.handles.push(handle);
    await handle.waitReady();
    return handle;
  }

  /** Shuts every kernel down, disposes the managers (or Node keeps polling) and stops the server's process group. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.handles.map((h) => h.shutdown()));
    await this.kernels.shutdownAll().catch(() => undefined);
    this.sessions.dispose();
    this.kernels.dispose();
    await stopProcessGroup(this.proc);
    // Kernels run in their own sessions (jupyter_client start_new_session): kill any left over.
    const runtimeDir = this.jupyter.env.JUPYTER_RUNTIME_DIR;
    if (runtimeDir !== undefined) {
      for (const pid of findPids(runtimeDir)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    this.jupyter.remove();
    if (this.ownsRootDir) rmSync(this.rootDir, { recursive: true, force: true });
  }
}

async function stopProcessGroup(proc: ChildProcess): Promise<void> {
  if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-(proc.pid as number), sig);
    } catch {
      // group already gone
    }
  };
  kill("SIGTERM");
  const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!done) {
    kill("SIGKILL");
    await exited;
  }
}

export async function startJupyterServer(options: JupyterServerOptions = {}): Promise<JupyterServer> {
  const jupyter = createJupyterEnv();
  const ownsRootDir = options.rootDir === undefined;
  const rootDir = options.rootDir ?? mkdtempSync(join(tmpdir(), "nbresume-root-"));
  // git keeps no empty folders: in a fresh clone notebooks/ may not exist yet.
  mkdirSync(rootDir, { recursive: true });
  const token = Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => b.toString(16).padStart(2, "0")).join("");
  const port = await freePort();
  const args = jupyterServerArgs({
    port,
    token,
    rootDir,
    kernelName: KERNEL_NAME,
    // Notice a dead kernel within 1 s instead of 3 s (the restarter polls the process).
    settings: ["--KernelRestarter.time_to_dead=1.0"],
  });
  // Own process group, so close() can stop the server and whatever it spawned in one signal.
  const proc = spawn(jupyterBin(), args, { env: jupyter.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const output = { text: "" };
  proc.stdout?.on("data", (d: Buffer) => (output.text += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (output.text += d.toString()));
  const spawnError = new Promise<Error>((r) => proc.once("error", r));

  const baseUrl = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  const fail = async (why: string): Promise<never> => {
    await stopProcessGroup(proc);
    jupyter.remove();
    if (ownsRootDir) rmSync(rootDir, { recursive: true, force: true });
    throw new Error(`jupyter server did not start (${why}). Is Debian's jupyter-server installed (see .ci/run)?\n${output.text}`);
  };
  for (;;) {
    const early = await Promise.race([spawnError, sleep(100).then(() => undefined)]);
    if (early !== undefined) return fail(`${jupyterBin()}: ${early.message}`);
    if (proc.exitCode !== null || proc.signalCode !== null) return fail(`exited with ${proc.exitCode ?? proc.signalCode}`);
    try {
      const res = await fetch(`${baseUrl}api/status`, { headers: { Authorization: `token ${token}` } });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) return fail("timed out");
  }
  return new JupyterServer(baseUrl, token, rootDir, jupyter, proc, output, ownsRootDir);
}

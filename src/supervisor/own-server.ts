/**
 * The supervisor's own Jupyter server, when no --server is given: `jupyter server` on 127.0.0.1
 * with a random free port and a random token, serving the notebook's folder (so the kernel runs
 * there, as it does in JupyterLab), in a process group of its own (a Ctrl-C in the terminal
 * reaches the supervisor only, which then stops the kernel in order) and with a private runtime
 * directory (so its kernels can be found, and stopped, if the server itself dies).
 *
 * The server's kernel restarter polls every 0.5 s (its default is 3 s): it is what notices a
 * dead kernel process and starts it again, so this is most of the time from death to restart.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { NbresumeError } from "../errors.js";
import { isRunning, pidsWithArgument, stopProcesses } from "./kernel-processes.js";
import { SupervisorErrorCode, supervisorMessages as msg } from "./messages.js";

/** Seconds between the restarter's checks that the kernel process lives. */
const TIME_TO_DEAD_S = 0.5;
/**
 * Restarts the server tries in a row before it drops a kernel (its default: 5). The supervisor
 * counts crashes itself; one restart keeps the fast path for a kernel that died once, and a kernel
 * that dies as it starts is dropped in about a second instead of after five more tries.
 */
const RESTART_LIMIT = 1;
/** The server's output kept for error messages. */
const LOG_TAIL = 16_384;

export interface OwnServerOptions {
  /** The folder the server serves; kernels start in it (or below it). */
  readonly rootDir: string;
  /** The kernel the server should start by default. */
  readonly kernelName: string;
  /** Environment of the server and so of its kernels. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  readonly startTimeoutMs: number;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `jupyter` executables to try, in order: $JUPYTER_BIN, the one on PATH, Debian's. */
export function jupyterCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const found = [env.JUPYTER_BIN, onPath("jupyter", env), "/usr/bin/jupyter"].filter((p): p is string => p !== undefined && p !== "");
  return [...new Set(found)];
}

/** A port free on 127.0.0.1 now, picked by the OS: the own server's and the tests' server's. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class OwnServer {
  /** Resolves when the server process exits, for whatever reason. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stopping = false;

  constructor(
    readonly baseUrl: string,
    readonly token: string,
    readonly runtimeDir: string,
    private readonly proc: ChildProcess,
    private readonly output: { text: string },
    private readonly dog: ChildProcess | undefined,
  ) {
    this.exited = new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve({ code: proc.exitCode, signal: proc.signalCode });
      else proc.once("exit", (code, signal) => resolve({ code, signal }));
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** Whether stop() was called (an exit after that is not a crash). */
  get isStopping(): boolean {
    return this.stopping;
  }

  /** The last lines the server printed. */
  get log(): string {
    return this.output.text;
  }

  /** Pids of the kernels this server started (alive or orphaned). */
  kernelPids(): number[] {
    return pidsWithArgument(`${this.runtimeDir}/`);
  }

  /** The kernel process of `kernelId`, if it runs on this machine. */
  kernelPid(kernelId: string): number | undefined {
    return pidsWithArgument(join(this.runtimeDir, `kernel-${kernelId}.json`))[0];
  }

  /**
   * Stops the server's process group (SIGTERM; SIGKILL after `graceMs`), then any kernel it left
   * behind (interrupted, so an nbresume training commits its emergency checkpoint, then killed).
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.dog?.kill("SIGKILL");
    const group = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-this.pid, sig);
      } catch {
        // the group is gone
      }
    };
    if (isRunning(this.pid)) {
      group("SIGTERM");
      const done = await Promise.race([this.exited.then(() => true), sleep(graceMs, undefined, { ref: false }).then(() => false)]);
      if (!done) {
        group("SIGKILL");
        await Promise.race([this.exited, sleep(5_000, undefined, { ref: false })]);
      }
    }
    await stopProcesses(this.kernelPids(), graceMs);
    rmSync(this.runtimeDir, { recursive: true, force: true });
  }
}

/**
 * `jupyter server`'s arguments for a server on 127.0.0.1:`port` only `token` opens, serving
 * `rootDir` with `kernelName` by default, then `settings` (more --Class.trait=value). The tests'
 * server takes the same ones, so the server they drive is the one `nbresume run` starts.
 */
export function jupyterServerArgs(server: { port: number; token: string; rootDir: string; kernelName: string; settings: readonly string[] }): string[] {
  const args = [
    "server",
    "--no-browser",
    "--ip=127.0.0.1",
    `--port=${server.port}`,
    "--ServerApp.port_retries=0",
    `--ServerApp.token=${server.token}`,
    `--ServerApp.root_dir=${server.rootDir}`,
    `--MappingKernelManager.default_kernel_name=${server.kernelName}`,
    "--KernelSpecManager.ensure_native_kernel=False",
    ...server.settings,
  ];
  if (process.getuid?.() === 0) args.push("--allow-root");
  return args;
}

/** How long the watchdog waits for the server's group to end before it removes the runtime directory anyway (tenths of a second). */
const WATCHDOG_WAIT_TENTHS = 300;

/**
 * A process that stops the server's process group when this process ends, however it ends (a
 * SIGKILL, or process.exit() when its stdout pipe closes: `nbresume run … | head`): it waits for
 * the end of a pipe only this process holds. The server runs in a group of its own, so nothing else
 * would stop it, and it would keep its kernel training for nobody. Once the group is gone (or after
 * 30 s) it removes the server's runtime directory (/tmp/nbresume-run-XXXX), which stop() removes
 * on an ordinary exit.
 */
function watchdog(serverPid: number | undefined, runtimeDir: string): ChildProcess | undefined {
  if (serverPid === undefined || process.platform === "win32") return undefined;
  const script =
    `cat >/dev/null; kill -TERM -${serverPid} 2>/dev/null; i=0; ` +
    `while kill -0 -${serverPid} 2>/dev/null && [ $i -lt ${WATCHDOG_WAIT_TENTHS} ]; do sleep 0.1; i=$((i+1)); done; rm -rf -- "$1"`;
  const dog = spawn("/bin/sh", ["-c", script, "nbresume-run-watchdog", runtimeDir], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  dog.on("error", () => undefined); // no /bin/sh: no watchdog, the server is stopped as usual on exit
  dog.unref();
  (dog.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null)?.unref?.();
  return dog;
}

async function launch(jupyter: string, options: OwnServerOptions, runtimeDir: string): Promise<OwnServer | { failed: string }> {
  const env = options.env ?? process.env;
  const token = randomBytes(24).toString("hex");
  const port = await freePort();
  const args = jupyterServerArgs({
    port,
    token,
    rootDir: options.rootDir,
    kernelName: options.kernelName,
    settings: [`--KernelRestarter.time_to_dead=${TIME_TO_DEAD_S}`, `--KernelRestarter.restart_limit=${RESTART_LIMIT}`],
  });
  const proc = spawn(jupyter, args, {
    env: { ...env, JUPYTER_RUNTIME_DIR: runtimeDir, PYTHONUNBUFFERED: "1" },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { text: "" };
  const keep = (chunk: Buffer): void => {
    output.text = (output.text + chunk.toString()).slice(-LOG_TAIL);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const spawnError = new Promise<Error>((resolve) => proc.once("error", resolve));
  const server = new OwnServer(`http://127.0.0.1:${port}/`, token, runtimeDir, proc, output, watchdog(proc.pid, runtimeDir));
  const deadline = Date.now() + options.startTimeoutMs;
  for (;;) {
    const early = await Promise.race([spawnError, server.exited.then(() => "exited" as const), sleep(100).then(() => undefined)]);
    if (early instanceof Error || early === "exited") {
      await server.stop(1_000);
      if (early instanceof Error) return { failed: `${jupyter}: ${early.message}` };
      return { failed: `${jupyter} server exited with ${proc.exitCode ?? proc.signalCode}:\n${output.text.trim().split("\n").slice(-6).join("\n")}` };
    }
    try {
      const response = await fetch(`${server.baseUrl}api/status`, { headers: { Authorization: `token ${token}` }, signal: AbortSignal.timeout(5_000) });
      if (response.ok) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop(2_000);
      return { failed: msg.ownServerSlow(options.startTimeoutMs, output.text) };
    }
  }
}

/** Starts a server; tries each `jupyter` found (a pyenv shim on PATH may have no jupyter-server). */
export async function startOwnServer(options: OwnServerOptions): Promise<OwnServer> {
  const failures: string[] = [];
  for (const jupyter of jupyterCandidates(options.env)) {
    const runtimeDir = mkdtempSync(join(tmpdir(), "nbresume-run-"));
    const result = await launch(jupyter, options, runtimeDir);
    if (result instanceof OwnServer) return result;
    rmSync(runtimeDir, { recursive: true, force: true });
    failures.push(result.failed);
  }
  throw new NbresumeError(SupervisorErrorCode.NO_JUPYTER_SERVER, msg.ownServerFailed(failures), { where: options.rootDir });
}

/**
 * Where the notebook's kernels come from: the supervisor's own Jupyter server (started here,
 * serving the notebook's folder, started again if it dies), or a running server given by URL and
 * token (checked up front: a wrong token or URL is a clear error, not a hang). Either way the
 * kernel runs in the notebook's folder when it can, so the run's relative paths mean what they
 * mean in JupyterLab and the supervisor can read the run's checkpoints.
 */
import { statSync } from "node:fs";
import { basename, dirname, resolve, sep } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { NbresumeError } from "../errors.js";
import type { JupyterClient, KernelLoss, KernelSession } from "./jupyter.js";
import { connectJupyter } from "./jupyter-services.js";
import { SupervisorErrorCode, supervisorMessages as msg } from "./messages.js";
import { startOwnServer, type OwnServer } from "./own-server.js";

export interface KernelHostOptions {
  /** Absolute path of the notebook. */
  readonly notebookPath: string;
  readonly kernelName: string;
  /** A running server; without it the host starts its own. */
  readonly server?: { readonly url: string; readonly token: string };
  /** Environment of the own server (and so of its kernels). Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  readonly startTimeoutMs: number;
  /** Says what the host does (server started, restarted, …). */
  readonly event: (text: string, level: "info" | "warn") => void;
}

export interface KernelHost {
  readonly baseUrl: string;
  /** The kernel's working directory on this machine, when the host knows it. */
  readonly kernelCwd: string | undefined;
  /** Resolves when the own server dies (pending while it lives; never for a --server). */
  serverLost(): Promise<KernelLoss>;
  /** A new notebook session with a new kernel (not yet ready). */
  startSession(): Promise<KernelSession>;
  /** A new connection to a kernel the server restarted. */
  reconnect(session: KernelSession): Promise<KernelSession>;
  /** The kernel's process on this machine, when known (own server). */
  kernelPid(kernelId: string): number | undefined;
  /** After a server loss: the own server is stopped (its kernel first) and started again; a --server is waited for. */
  recover(): Promise<void>;
  /** Stops every kernel of the own server at once (SIGKILL): the second Ctrl-C. */
  killKernels(): Promise<void>;
  /** Stops the own server (its kernels with it) and closes connections. */
  close(graceMs: number): Promise<void>;
}

const NEVER = new Promise<never>(() => undefined);

async function checkKernel(client: JupyterClient, name: string, own: boolean): Promise<void> {
  const names = await client.kernelNames();
  if (!names.includes(name)) {
    throw new NbresumeError(SupervisorErrorCode.KERNEL_NOT_INSTALLED, msg.kernelNotInstalled(name, client.baseUrl, names, own), { where: client.baseUrl });
  }
}

class OwnHost implements KernelHost {
  private constructor(
    private server: OwnServer,
    private client: JupyterClient,
    private readonly options: KernelHostOptions,
  ) {}

  static async open(options: KernelHostOptions): Promise<OwnHost> {
    const server = await startOwnServer({
      rootDir: dirname(options.notebookPath),
      kernelName: options.kernelName,
      startTimeoutMs: options.startTimeoutMs,
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    const client = connectJupyter({ baseUrl: server.baseUrl, token: server.token });
    try {
      await checkKernel(client, options.kernelName, true);
    } catch (error) {
      client.dispose();
      await server.stop(5_000);
      throw error;
    }
    options.event(msg.ownServerStarted(server.baseUrl, dirname(options.notebookPath)), "info");
    return new OwnHost(server, client, options);
  }

  get baseUrl(): string {
    return this.server.baseUrl;
  }

  get kernelCwd(): string {
    return dirname(this.options.notebookPath);
  }

  serverLost(): Promise<KernelLoss> {
    const server = this.server;
    return server.exited.then((how) =>
      server.isStopping ? NEVER : { kind: "unreachable" as const, at: Date.now(), detail: msg.lossServerExited(how.signal ?? `exit code ${how.code}`) },
    );
  }

  startSession(): Promise<KernelSession> {
    return this.client.startSession(basename(this.options.notebookPath), this.options.kernelName);
  }

  reconnect(session: KernelSession): Promise<KernelSession> {
    return this.client.reconnect(session);
  }

  kernelPid(kernelId: string): number | undefined {
    return this.server.kernelPid(kernelId);
  }

  async recover(): Promise<void> {
    this.options.event(msg.restartingServer(), "warn");
    this.client.dispose();
    await this.server.stop(10_000);
    this.server = await startOwnServer({
      rootDir: dirname(this.options.notebookPath),
      kernelName: this.options.kernelName,
      startTimeoutMs: this.options.startTimeoutMs,
      ...(this.options.env === undefined ? {} : { env: this.options.env }),
    });
    this.client = connectJupyter({ baseUrl: this.server.baseUrl, token: this.server.token });
    this.options.event(msg.ownServerRestarted(this.server.baseUrl), "info");
  }

  async killKernels(): Promise<void> {
    for (const pid of this.server.kernelPids()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
  }

  async close(graceMs: number): Promise<void> {
    this.client.dispose();
    await this.server.stop(graceMs);
  }
}

/** The notebook's path relative to the server's root, found by asking for ever shorter tails of its absolute path. */
async function pathOnServer(client: JupyterClient, notebookPath: string): Promise<string | undefined> {
  const parts = notebookPath.split(sep).filter((p) => p !== "");
  let size: number | undefined;
  try {
    size = statSync(notebookPath).size;
  } catch {
    size = undefined;
  }
  for (let from = Math.max(0, parts.length - 12); from < parts.length; from++) {
    const candidate = parts.slice(from).join("/");
    const found = await client.stat(candidate);
    if (found !== undefined && (found.size === undefined || size === undefined || found.size === size)) return candidate;
  }
  return undefined;
}

class ExternalHost implements KernelHost {
  private constructor(
    private readonly client: JupyterClient,
    private readonly path: string,
    readonly kernelCwd: string | undefined,
    private readonly options: KernelHostOptions,
  ) {}

  static async open(options: KernelHostOptions, server: { readonly url: string; readonly token: string }): Promise<ExternalHost> {
    const client = connectJupyter({ baseUrl: server.url, token: server.token });
    try {
      await client.check();
      await checkKernel(client, options.kernelName, false);
      const path = await pathOnServer(client, options.notebookPath);
      options.event(msg.connected(client.baseUrl), "info");
      if (path === undefined) options.event(msg.notebookNotOnServer(basename(options.notebookPath)), "warn");
      return new ExternalHost(client, path ?? basename(options.notebookPath), path === undefined ? undefined : dirname(options.notebookPath), options);
    } catch (error) {
      client.dispose();
      throw error;
    }
  }

  get baseUrl(): string {
    return this.client.baseUrl;
  }

  serverLost(): Promise<KernelLoss> {
    return NEVER;
  }

  startSession(): Promise<KernelSession> {
    return this.client.startSession(this.path, this.options.kernelName);
  }

  reconnect(session: KernelSession): Promise<KernelSession> {
    return this.client.reconnect(session);
  }

  kernelPid(): undefined {
    return undefined;
  }

  async recover(): Promise<void> {
    this.options.event(msg.waitingForServer(this.client.baseUrl), "warn");
    const deadline = Date.now() + this.options.startTimeoutMs;
    for (;;) {
      try {
        await this.client.check();
        return;
      } catch (error) {
        if (error instanceof NbresumeError && error.code !== SupervisorErrorCode.SERVER_UNREACHABLE) throw error;
        if (Date.now() > deadline)
          throw new NbresumeError(SupervisorErrorCode.SERVER_LOST, msg.serverGone(this.client.baseUrl, this.options.startTimeoutMs), {
            where: this.client.baseUrl,
            cause: error,
          });
        await sleep(1_000);
      }
    }
  }

  async killKernels(): Promise<void> {
    // Not ours to kill by pid: the session's shutdown asks the server.
  }

  async close(): Promise<void> {
    this.client.dispose();
  }
}

/** Starts the own server, or checks the given one; NbresumeError with what to do when it cannot be used. */
export async function openKernelHost(options: KernelHostOptions): Promise<KernelHost> {
  const notebookPath = resolve(options.notebookPath);
  const resolved = { ...options, notebookPath };
  return options.server === undefined ? OwnHost.open(resolved) : ExternalHost.open(resolved, options.server);
}

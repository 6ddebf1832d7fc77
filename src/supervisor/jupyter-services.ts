/**
 * The Jupyter client (jupyter.ts) on @jupyterlab/services — the only file that imports it: REST
 * calls through its ServerConnection (token auth, the same requests JupyterLab makes) and each
 * kernel's websocket through its KernelConnection (wire protocol, message routing, reconnects).
 *
 * Losing a kernel shows in three ways, all turned into one `lost` promise per session:
 * - the server restarted it: an iopub status "restarting" (services: "autorestarting");
 * - the server gave up on it: status "dead", or GET api/kernels/ID says 404 / "dead";
 * - the server went away: the websocket closes and the REST API stops answering.
 * A kernel that dies before its websocket ever connects sends no status at all (measured: the
 * server restarts it five times, then drops it), so each session also polls its kernel's REST
 * model every `pollMs`.
 */
import { KernelConnection, ServerConnection, type Kernel, type KernelMessage } from "@jupyterlab/services";
import { basename } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { NbresumeError } from "../errors.js";
import {
  KernelLostError,
  type ExecuteReply,
  type IOPubMessage,
  type JupyterClient,
  type JupyterClientOptions,
  type KernelLoss,
  type KernelLossKind,
  type KernelSession,
  type ServerFile,
} from "./jupyter.js";
import { SupervisorErrorCode, supervisorMessages as msg } from "./messages.js";

const DEFAULT_POLL_MS = 1000;
/** kernel_info requests are sent this often while a kernel starts (an unanswered one is simply dropped). */
const KERNEL_INFO_TRY_MS = 250;

// services writes its own progress to the console ("Starting WebSocket: …", "Kernel: busy (…)",
// "Connection lost, reconnecting in 0 seconds."): the supervisor says what happened in its own words.
const SERVICES_CHATTER = /^(Starting WebSocket: |Kernel: |Connection lost, reconnecting)/;
let muted = 0;
let restoreConsole: (() => void) | undefined;

function muteServicesChatter(): () => void {
  if (muted++ === 0) {
    const { debug, warn } = console;
    const filter =
      (original: (...args: unknown[]) => void) =>
      (...args: unknown[]): void => {
        if (typeof args[0] === "string" && SERVICES_CHATTER.test(args[0])) return;
        original.apply(console, args);
      };
    console.debug = filter(debug);
    console.warn = filter(warn);
    restoreConsole = () => {
      console.debug = debug;
      console.warn = warn;
    };
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--muted === 0) restoreConsole?.();
  };
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

/** The innermost cause's message: "connect ECONNREFUSED 127.0.0.1:8888" rather than "fetch failed". */
function detail(error: unknown): string {
  let current: unknown = error;
  let text = error instanceof Error ? error.message : String(error);
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current.message !== "") text = current.message;
    current = current.cause;
  }
  return text;
}

interface SessionModel {
  readonly id: string;
  readonly kernel: { readonly id: string; readonly name: string };
}

class ServicesClient implements JupyterClient {
  private readonly settings: ServerConnection.ISettings;
  private readonly token: string;
  private readonly pollMs: number;
  private readonly unmute = muteServicesChatter();
  private readonly sessions = new Set<ServicesKernelSession>();

  constructor(options: JupyterClientOptions) {
    this.baseUrl = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;
    this.settings = ServerConnection.makeSettings({
      baseUrl: this.baseUrl,
      wsUrl: this.baseUrl.replace(/^http/, "ws"),
      token: options.token,
      appendToken: true,
    });
    this.token = options.token;
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  }

  readonly baseUrl: string;

  /** One REST call; the network failure and the HTTP status are the caller's to judge. */
  async request(path: string, init: RequestInit = {}, timeoutMs = 30_000): Promise<Response> {
    return ServerConnection.makeRequest(`${this.baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) }, this.settings);
  }

  /** A GET of the REST API as JSON; Node's own fetch here, because its error names the cause (ECONNREFUSED, ENOTFOUND). */
  private async json(path: string, what: string): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, { headers: { Authorization: `token ${this.token}` }, signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      throw new NbresumeError(SupervisorErrorCode.SERVER_UNREACHABLE, msg.serverUnreachable(this.baseUrl, detail(error)), {
        where: this.baseUrl,
        cause: error,
      });
    }
    if (response.status === 401 || response.status === 403) {
      throw new NbresumeError(SupervisorErrorCode.SERVER_AUTH_FAILED, msg.serverAuthFailed(this.baseUrl, response.status), { where: this.baseUrl });
    }
    const body = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    if (!response.ok || typeof parsed !== "object" || parsed === null) {
      throw new NbresumeError(SupervisorErrorCode.NOT_JUPYTER, msg.notJupyter(this.baseUrl, what, response.status), { where: this.baseUrl });
    }
    return parsed as Record<string, unknown>;
  }

  async check(): Promise<void> {
    const status = await this.json("api/status", "api/status");
    if (!("started" in status) && !("kernels" in status)) {
      throw new NbresumeError(SupervisorErrorCode.NOT_JUPYTER, msg.notJupyter(this.baseUrl, "api/status", 200), { where: this.baseUrl });
    }
  }

  async kernelNames(): Promise<string[]> {
    const specs = await this.json("api/kernelspecs", "api/kernelspecs");
    return Object.keys(asRecord(specs.kernelspecs)).sort();
  }

  async stat(path: string): Promise<ServerFile | undefined> {
    const encoded = path.split("/").map(encodeURIComponent).join("/");
    let response: Response;
    try {
      response = await this.request(`api/contents/${encoded}?content=0`);
    } catch {
      return undefined;
    }
    if (!response.ok) return undefined;
    const model = asRecord(await response.json().catch(() => undefined));
    return { type: typeof model.type === "string" ? model.type : "file", size: typeof model.size === "number" ? model.size : undefined };
  }

  async startSession(path: string, kernelName: string): Promise<KernelSession> {
    let response: Response;
    try {
      response = await this.request(
        "api/sessions",
        {
          method: "POST",
          body: JSON.stringify({ path, name: basename(path), type: "notebook", kernel: { name: kernelName } }),
        },
        120_000,
      );
    } catch (error) {
      throw new NbresumeError(SupervisorErrorCode.SERVER_UNREACHABLE, msg.serverUnreachable(this.baseUrl, detail(error)), {
        where: this.baseUrl,
        cause: error,
      });
    }
    const model = asRecord(await response.json().catch(() => undefined));
    const kernel = asRecord(model.kernel);
    if (response.status !== 201 || typeof model.id !== "string" || typeof kernel.id !== "string") {
      const reason = typeof model.message === "string" ? model.message : `HTTP ${response.status}`;
      throw new NbresumeError(SupervisorErrorCode.SESSION_FAILED, msg.sessionFailed(path, kernelName, reason), { where: this.baseUrl });
    }
    return this.open({ id: model.id, kernel: { id: kernel.id, name: typeof kernel.name === "string" ? kernel.name : kernelName } });
  }

  async reconnect(session: KernelSession): Promise<KernelSession> {
    if (!(session instanceof ServicesKernelSession)) throw new TypeError("reconnect(): expected a session this client started");
    // services is already reconnecting that websocket to the restarted kernel: keep it.
    const kernel = session.kernel.isDisposed ? undefined : session.release();
    return this.open(session.model, kernel);
  }

  private open(model: SessionModel, kernel?: Kernel.IKernelConnection): ServicesKernelSession {
    const session: ServicesKernelSession = new ServicesKernelSession(this, model, this.settings, this.pollMs, () => this.sessions.delete(session), kernel);
    this.sessions.add(session);
    return session;
  }

  async kernelState(kernelId: string): Promise<"alive" | "gone" | "unreachable"> {
    let response: Response;
    try {
      response = await this.request(`api/kernels/${encodeURIComponent(kernelId)}`, {}, 5_000);
    } catch {
      return "unreachable";
    }
    if (response.status === 404) return "gone";
    if (!response.ok) return "unreachable";
    const model = asRecord(await response.json().catch(() => undefined));
    return model.execution_state === "dead" ? "gone" : "alive";
  }

  dispose(): void {
    for (const s of [...this.sessions]) s.dispose();
    this.unmute();
  }
}

/** A websocket to one kernel, with services' own reconnect made safe to interrupt. */
function openKernelConnection(model: SessionModel, settings: ServerConnection.ISettings): Kernel.IKernelConnection {
  const kernel = new KernelConnection({ model: { id: model.kernel.id, name: model.kernel.name }, serverSettings: settings, handleComms: false });
  // After a server-side restart services calls reconnect() itself and drops the promise; closing
  // the connection before it is back rejects that promise, unhandled, which would end this process.
  const reconnect = kernel.reconnect.bind(kernel);
  kernel.reconnect = () => reconnect().catch(() => undefined);
  return kernel;
}

class ServicesKernelSession implements KernelSession {
  readonly lost: Promise<KernelLoss>;
  private loss: KernelLoss | undefined;
  private markLost!: (loss: KernelLoss) => void;
  readonly kernel: Kernel.IKernelConnection;
  private readonly poll: NodeJS.Timeout;
  private unreachableProbes = 0;
  private disposed = false;
  private readonly onStatus = (_: unknown, status: Kernel.Status): void => {
    if (status === "autorestarting") this.lose("restarted", msg.lossRestarted());
    else if (status === "dead") this.lose("dead", msg.lossDead());
  };
  private readonly onConnection = (_: unknown, status: Kernel.ConnectionStatus): void => {
    if (status !== "connected") void this.probe();
  };

  /** `kernel`: the connection of the session this one takes over (the same kernel, restarted by the server). */
  constructor(
    private readonly client: ServicesClient,
    readonly model: SessionModel,
    settings: ServerConnection.ISettings,
    pollMs: number,
    private readonly onDispose: () => void,
    kernel?: Kernel.IKernelConnection,
  ) {
    this.lost = new Promise((resolve) => {
      this.markLost = (loss) => {
        if (this.loss !== undefined || this.disposed) return;
        this.loss = loss;
        resolve(loss);
      };
    });
    this.kernel = kernel ?? openKernelConnection(model, settings);
    this.kernel.statusChanged.connect(this.onStatus);
    this.kernel.connectionStatusChanged.connect(this.onConnection);
    this.poll = setInterval(() => void this.probe(), pollMs);
    this.poll.unref();
  }

  /** Stops watching the connection and hands it over (to the session that takes over the restarted kernel). */
  release(): Kernel.IKernelConnection {
    this.disposed = true;
    clearInterval(this.poll);
    this.kernel.statusChanged.disconnect(this.onStatus);
    this.kernel.connectionStatusChanged.disconnect(this.onConnection);
    this.onDispose();
    return this.kernel;
  }

  get sessionId(): string {
    return this.model.id;
  }

  get kernelId(): string {
    return this.model.kernel.id;
  }

  private lose(kind: KernelLossKind, text: string): void {
    this.markLost({ kind, at: Date.now(), detail: text });
  }

  private async probe(): Promise<void> {
    if (this.loss !== undefined || this.disposed) return;
    const state = await this.client.kernelState(this.kernelId);
    if (state === "gone") this.lose("dead", msg.lossGone());
    else if (state === "unreachable") {
      // One failed request is not a dead server (a busy machine); two in a row are.
      if (++this.unreachableProbes >= 2) this.lose("unreachable", msg.lossUnreachable());
    } else this.unreachableProbes = 0;
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // A kernel_info request sent before the kernel listens is lost, not queued: send another every
    // KERNEL_INFO_TRY_MS, and take the first answer to any of them.
    let answered = false;
    const answer = (): void => void (answered = true);
    let lastTry = Number.NEGATIVE_INFINITY;
    for (;;) {
      if (answered) return;
      if (this.loss !== undefined) throw new KernelLostError(this.loss);
      if (Date.now() > deadline) throw new Error(msg.kernelNotReady(timeoutMs));
      if (this.kernel.connectionStatus === "connected" && Date.now() - lastTry >= KERNEL_INFO_TRY_MS) {
        lastTry = Date.now();
        try {
          this.kernel.requestKernelInfo().then(answer, () => undefined);
        } catch {
          // Not connected after all: the next turn tries again.
        }
      }
      await Promise.race([sleep(25), this.lost]);
    }
  }

  async execute(code: string, onIOPub: (message: IOPubMessage) => void): Promise<ExecuteReply> {
    if (this.loss !== undefined) throw new KernelLostError(this.loss);
    const future = this.kernel.requestExecute({ code, silent: false, store_history: true, stop_on_error: true, allow_stdin: false });
    future.onIOPub = (message: KernelMessage.IIOPubMessage) => {
      onIOPub({ msgType: message.header.msg_type, content: asRecord(message.content) });
    };
    try {
      const reply = await Promise.race([future.done, this.lost.then((loss) => Promise.reject(new KernelLostError(loss)))]);
      const content = asRecord(reply.content);
      const status = content.status === "ok" || content.status === "abort" ? content.status : "error";
      return {
        status,
        executionCount: typeof content.execution_count === "number" ? content.execution_count : null,
        ...(typeof content.ename === "string" ? { ename: content.ename } : {}),
        ...(typeof content.evalue === "string" ? { evalue: content.evalue } : {}),
        ...(Array.isArray(content.traceback) ? { traceback: content.traceback.map(String) } : {}),
      };
    } catch (error) {
      if (error instanceof KernelLostError) throw error;
      // services cancels the request's future when the kernel restarts under it, a moment before
      // (or after) the status that says so: wait for the loss to be known, or find out.
      const loss = await Promise.race([this.lost, sleep(2000).then(() => undefined)]);
      if (loss !== undefined) throw new KernelLostError(loss);
      const state = await this.client.kernelState(this.kernelId);
      const kind: KernelLossKind = state === "unreachable" ? "unreachable" : state === "gone" ? "dead" : "restarted";
      this.lose(kind, msg.lossCancelled(detail(error)));
      throw new KernelLostError(this.loss ?? { kind, at: Date.now(), detail: detail(error) });
    } finally {
      if (!future.isDisposed) future.dispose();
    }
  }

  async interrupt(): Promise<void> {
    const response = await this.client.request(`api/kernels/${encodeURIComponent(this.kernelId)}/interrupt`, { method: "POST" }, 10_000);
    if (response.status !== 204) throw new Error(msg.interruptFailed(response.status));
  }

  async shutdown(timeoutMs: number): Promise<void> {
    this.dispose();
    try {
      await this.client.request(`api/sessions/${encodeURIComponent(this.sessionId)}`, { method: "DELETE" }, timeoutMs);
    } catch {
      // Best effort: the server may be gone; whoever owns it stops its kernels.
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.release();
    this.kernel.dispose();
  }
}

/** A client for the server at `baseUrl` (nothing is requested until a method is called). */
export function connectJupyter(options: JupyterClientOptions): JupyterClient {
  return new ServicesClient(options);
}

/**
 * What the supervisor needs from a Jupyter server (interface only). jupyter-services.ts implements
 * it with @jupyterlab/services, the one file that imports that library: it is heavy, so the CLI
 * loads it only for `nbresume run`, and everything else here depends on these small types.
 */

/** One iopub message of a request, as the cell executor reads it. */
export interface IOPubMessage {
  /** "stream", "display_data", "update_display_data", "execute_result", "error", "clear_output", "status", … */
  readonly msgType: string;
  readonly content: Readonly<Record<string, unknown>>;
}

/** A cell's execute_reply. tslab reports errors as "error" with empty ename/evalue (the text comes as stderr). */
export interface ExecuteReply {
  readonly status: "ok" | "error" | "abort";
  readonly executionCount: number | null;
  readonly ename?: string;
  readonly evalue?: string;
  readonly traceback?: readonly string[];
}

/**
 * How a kernel was lost:
 * - "restarted": the server noticed its process die and started it again (same kernel id);
 * - "dead": the server gave up on it, or it is gone from the server (404);
 * - "unreachable": the server itself stopped answering.
 */
export type KernelLossKind = "restarted" | "dead" | "unreachable";

export interface KernelLoss {
  readonly kind: KernelLossKind;
  /** When the supervisor noticed (ms epoch). */
  readonly at: number;
  /** One line for the terminal: what was seen. */
  readonly detail: string;
}

/** The request did not finish because the kernel was lost. */
export class KernelLostError extends Error {
  override readonly name = "KernelLostError";

  constructor(readonly loss: KernelLoss) {
    super(loss.detail);
  }
}

/** A notebook session's kernel on the server, over its websocket. */
export interface KernelSession {
  readonly sessionId: string;
  readonly kernelId: string;
  /** Resolves once the kernel answers kernel_info; rejects with KernelLostError, or an Error on timeout. */
  waitReady(timeoutMs: number): Promise<void>;
  /**
   * Sends one cell. `onIOPub` sees every iopub message of the request (status messages too).
   * Resolves with the execute_reply; rejects with KernelLostError when the kernel is lost first.
   */
  execute(code: string, onIOPub: (message: IOPubMessage) => void): Promise<ExecuteReply>;
  /** A kernel interrupt through the server (SIGINT to the kernel process for tslab). */
  interrupt(): Promise<void>;
  /** Resolves (never rejects) the first time the kernel is lost; stays pending while it lives. */
  readonly lost: Promise<KernelLoss>;
  /** Deletes the session and its kernel on the server (best effort within `timeoutMs`), then disposes. */
  shutdown(timeoutMs: number): Promise<void>;
  /** Closes the websocket and timers only (the kernel keeps running on the server). */
  dispose(): void;
}

/** What the server says about one path in its contents API. */
export interface ServerFile {
  readonly type: string;
  readonly size: number | undefined;
}

/** A Jupyter server reached with a URL and a token. */
export interface JupyterClient {
  readonly baseUrl: string;
  /** Checks the URL answers as a Jupyter server and the token is accepted; NbresumeError otherwise. */
  check(): Promise<void>;
  /** Kernel names the server can start. */
  kernelNames(): Promise<string[]>;
  /** A path relative to the server's root, or undefined if it has no such file. */
  stat(path: string): Promise<ServerFile | undefined>;
  /** Starts a notebook session (a new kernel) for `path`, relative to the server's root. */
  startSession(path: string, kernelName: string): Promise<KernelSession>;
  /** A new connection to a session whose kernel the server restarted (loss "restarted"). */
  reconnect(session: KernelSession): Promise<KernelSession>;
  /** Whether the kernel still exists on the server ("gone" on 404, "unreachable" when the server does not answer). */
  kernelState(kernelId: string): Promise<"alive" | "gone" | "unreachable">;
  dispose(): void;
}

export interface JupyterClientOptions {
  readonly baseUrl: string;
  readonly token: string;
  /** How often each session asks the server whether its kernel still exists. Default 1000 ms. */
  readonly pollMs?: number;
}

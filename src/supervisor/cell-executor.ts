/**
 * Runs one cell and says how it ended — never by throwing: the reply ("ok", or an ordinary error
 * with its text), the kernel lost under it (died, server gone, or silent for too long: then it is
 * interrupted and treated as lost), or a stop request (the kernel is interrupted so the training
 * commits its emergency checkpoint, and the cell is given `stopTimeoutMs` to end).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { CellOutputs } from "./cell-outputs.js";
import { KernelLostError, type ExecuteReply, type IOPubMessage, type KernelLoss, type KernelSession } from "./jupyter.js";
import { supervisorMessages as msg } from "./messages.js";
import type { StopController, StopSignal } from "./stop-signals.js";

export type CellOutcome =
  | { readonly kind: "ok" }
  | { readonly kind: "error"; readonly text: string }
  | { readonly kind: "lost"; readonly loss: KernelLoss }
  | { readonly kind: "stopped"; readonly signal: StopSignal; readonly atOnce: boolean; readonly timedOut: boolean };

export interface ExecuteCellOptions {
  readonly kernel: KernelSession;
  readonly code: string;
  /** Collects the cell's outputs as they arrive. */
  readonly outputs: CellOutputs;
  /** Each iopub message, after `outputs` took it. */
  readonly onMessage: (message: IOPubMessage) => void;
  /** The server's own loss (own server died). */
  readonly serverLost: Promise<KernelLoss>;
  readonly stop: StopController;
  /** A cell that sends nothing for this long is treated as a lost kernel; 0: never. */
  readonly silentTimeoutMs: number;
  /** How long a stopped or silent cell may take to end after its interrupt. */
  readonly stopTimeoutMs: number;
  /** Called when a stop request interrupts the cell. */
  readonly onStopping: (signal: StopSignal) => void;
}

// eslint-disable-next-line no-control-regex -- matches ANSI escape sequences, which start with ESC
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** The error as the kernel showed it: the traceback, else ename/evalue, else (tslab) the cell's stderr, else its last stdout lines. */
export function errorText(reply: ExecuteReply, outputs: CellOutputs): string {
  const traceback = (reply.traceback ?? []).join("\n").replace(ANSI, "").trim();
  if (traceback !== "") return traceback;
  const named = [reply.ename, reply.evalue].filter((s) => s !== undefined && s !== "").join(": ");
  if (named !== "") return named;
  const stderr = outputs.text("stderr").trim();
  if (stderr !== "") return stderr;
  return outputs.text("stdout").trimEnd().split("\n").slice(-20).join("\n");
}

function lossFrom(error: unknown): KernelLoss {
  if (error instanceof KernelLostError) return error.loss;
  return { kind: "dead", at: Date.now(), detail: msg.lossCancelled(error instanceof Error ? error.message : String(error)) };
}

export async function executeCell(options: ExecuteCellOptions): Promise<CellOutcome> {
  const { kernel, outputs, stop } = options;
  let lastMessageAt = Date.now();
  const settled: Promise<CellOutcome> = kernel
    .execute(options.code, (message) => {
      lastMessageAt = Date.now();
      outputs.apply(message);
      options.onMessage(message);
    })
    .then(
      (reply): CellOutcome => {
        if (reply.executionCount !== null) outputs.executionCount = reply.executionCount;
        return reply.status === "ok" ? { kind: "ok" } : { kind: "error", text: errorText(reply, outputs) };
      },
      (error: unknown): CellOutcome => ({ kind: "lost", loss: lossFrom(error) }),
    );
  const serverLost = options.serverLost.then((loss): CellOutcome => ({ kind: "lost", loss }));

  let watchdog: NodeJS.Timeout | undefined;
  const silent = new Promise<"silent">((resolve) => {
    if (options.silentTimeoutMs <= 0) return;
    watchdog = setInterval(
      () => {
        if (Date.now() - lastMessageAt >= options.silentTimeoutMs) resolve("silent");
      },
      Math.min(1_000, Math.max(10, options.silentTimeoutMs / 4)),
    );
  });
  // The stop timeout keeps the process alive while it runs (nothing else may), and is cancelled after.
  const timeouts = new AbortController();
  const interruptThenWait = async (): Promise<CellOutcome | "timeout"> => {
    await kernel.interrupt().catch(() => undefined);
    const timeout = sleep(options.stopTimeoutMs, "timeout" as const, { signal: timeouts.signal }).catch(() => "timeout" as const);
    return Promise.race([settled, serverLost, timeout]);
  };

  try {
    const first = await Promise.race([settled, serverLost, silent, stop.graceful]);
    if (first === "silent") {
      const silentFor = Date.now() - lastMessageAt;
      const after = await interruptThenWait();
      // The interrupt may have shown the kernel to be dead after all.
      if (after !== "timeout" && after.kind === "lost") return after;
      return { kind: "lost", loss: { kind: "dead", at: Date.now(), detail: msg.lossSilent(silentFor) } };
    }
    if (typeof first === "string") {
      // A stop request: interrupt, then give the cell its time to end (a second request ends the wait).
      options.onStopping(first);
      const after = await Promise.race([interruptThenWait(), stop.immediate.then(() => "immediate" as const)]);
      if (after === "immediate") return { kind: "stopped", signal: first, atOnce: true, timedOut: false };
      return { kind: "stopped", signal: first, atOnce: false, timedOut: after === "timeout" };
    }
    return first;
  } finally {
    clearInterval(watchdog);
    timeouts.abort();
  }
}

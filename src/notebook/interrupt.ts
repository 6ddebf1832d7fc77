/**
 * Cooperative cancellation for training loops, in a notebook kernel and in plain Node.
 *
 * A tslab kernel interrupt is a SIGINT. tslab then rejects the running cell, but an async loop
 * keeps running in the background and its output lands in later cells; only a loop that checks an
 * AbortSignal between steps really stops (measured in a tslab kernel). So:
 *
 *   await runExclusive(dir, async (signal) => {
 *     while (!signal.aborted) await step();   // check between steps
 *     // stopReason(signal): "SIGINT" | "SIGTERM" | "superseded" → commit an emergency checkpoint
 *   });
 *
 * - the first SIGINT/SIGTERM/SIGHUP aborts the signal; the cell ends (as interrupted) only after the
 *   body has returned, so its last message is shown in the cell (see signal-hub.ts for why and how;
 *   in a plain process a second signal only warns, a third aborts the emergency save);
 * - running the cell again while an old run with the same key is alive (a run started without
 *   await, or one the user forced out with a second interrupt) first aborts the old one with reason
 *   "superseded" and waits for it to return: never two writers on one checkpoint directory.
 */
import { NbresumeError } from "../errors.js";
import { notebookMessages as msg } from "./messages.js";
import { NotebookErrorCode } from "./messages.js";
import { processWide } from "../shared/process-wide.js";
import { STOP_SIGNALS, signalHub, type SignalSubscriber, type StopSignal } from "./signal-hub.js";

export type { StopSignal } from "./signal-hub.js";

/** Why a run was asked to stop: a signal (SIGHUP: the terminal went away), or a newer run with the same key. */
export type StopReason = StopSignal | "superseded";

export interface InterruptScope {
  /** Aborts, with a StopReason as its reason, on the first of the signals listened for. */
  readonly signal: AbortSignal;
  /**
   * Stops listening. If a signal stopped this run, it is handed on now: tslab ends the cell as
   * interrupted, a plain script dies of the signal. Call it when the run has fully stopped
   * (emergency checkpoint written). Idempotent.
   */
  end(): void;
}

export interface InterruptOptions {
  /** Default ["SIGINT", "SIGTERM", "SIGHUP"]. */
  readonly signals?: readonly StopSignal[];
}

export interface ExclusiveRunOptions extends InterruptOptions {
  /** How long to wait for the previous run with the same key to return once aborted. Default 60 000. */
  readonly previousRunTimeoutMs?: number;
}

/** The StopReason an AbortSignal from this module was aborted with, or undefined while it runs. */
export function stopReason(signal: AbortSignal): StopReason | undefined {
  if (!signal.aborted) return undefined;
  const r: unknown = signal.reason;
  return r === "superseded" || (STOP_SIGNALS as readonly unknown[]).includes(r) ? (r as StopReason) : undefined;
}

function checkSignals(signals: readonly StopSignal[] | undefined): ReadonlySet<StopSignal> {
  const list = signals ?? STOP_SIGNALS;
  const given: unknown = list; // unknown: Array.isArray would make list any[]
  if (!Array.isArray(given) || list.length === 0 || !list.every((s) => STOP_SIGNALS.includes(s))) {
    throw new TypeError(msg.badSignals(signals));
  }
  return new Set(list);
}

/**
 * An AbortSignal that aborts on SIGINT, SIGTERM or SIGHUP, for one run. Resolves once the listeners are
 * in place: they are added on a later turn of the event loop, never inside the synchronous part of
 * a tslab cell (where adding a SIGINT listener would make the next interrupt kill the kernel).
 */
export async function interruptSignal(options: InterruptOptions = {}): Promise<InterruptScope> {
  const signals = checkSignals(options.signals);
  const controller = new AbortController();
  const sub: SignalSubscriber = {
    signals,
    onSignal(sig) {
      controller.abort(sig);
    },
  };
  await new Promise<void>((resolve) => setImmediate(resolve));
  signalHub().subscribe(sub);
  let ended = false;
  return {
    signal: controller.signal,
    end() {
      if (ended) return;
      ended = true;
      signalHub().unsubscribe(sub);
    },
  };
}

interface ActiveRun {
  readonly controller: AbortController;
  /** Settles when this run and every run it replaced have returned. */
  readonly settled: Promise<void>;
}

function activeRuns(): Map<string, ActiveRun> {
  return processWide("activeRuns.v1", () => new Map<string, ActiveRun>());
}

/** Whether a run with this key is active in this process (started and not yet returned). */
export function isRunActive(key: string): boolean {
  return activeRuns().has(key);
}

async function waitForPrevious(previous: ActiveRun, key: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    const outcome = await Promise.race([previous.settled.then(() => "done" as const), timeout]);
    if (outcome === "timeout") {
      throw new NbresumeError(NotebookErrorCode.RUN_STILL_ACTIVE, msg.runStillActive(key, timeoutMs), { where: key });
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `body` as the only run for `key` in this process (use the checkpoint directory), with a
 * signal that aborts on SIGINT/SIGTERM/SIGHUP (reason: the signal's name) or when a newer run for the
 * same key starts (reason "superseded"). A previous run for the key is aborted and awaited first.
 */
export async function runExclusive<T>(key: string, body: (signal: AbortSignal) => Promise<T>, options: ExclusiveRunOptions = {}): Promise<T> {
  if (typeof key !== "string" || key.length === 0) throw new TypeError(msg.badRunKey(key));
  if (typeof body !== "function") throw new TypeError("runExclusive(key, body): body must be an async function (signal) => ….");
  const timeoutMs = options.previousRunTimeoutMs ?? 60_000;
  if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new RangeError(msg.badTimeout("previousRunTimeoutMs", timeoutMs));
  }
  checkSignals(options.signals);

  const runs = activeRuns();
  const previous = runs.get(key);
  const controller = new AbortController();
  let returned!: () => void;
  const own = new Promise<void>((resolve) => (returned = resolve));
  const mine: ActiveRun = {
    controller,
    settled: previous === undefined ? own : Promise.all([own, previous.settled]).then(() => undefined),
  };
  // Registered before waiting, so a third run waits for this one (and through it, the previous).
  runs.set(key, mine);
  try {
    if (previous !== undefined) {
      previous.controller.abort("superseded" satisfies StopReason);
      try {
        await waitForPrevious(previous, key, timeoutMs);
      } catch (e) {
        if (runs.get(key) === mine) runs.set(key, previous); // it is still the one running
        throw e;
      }
    }
    if (controller.signal.aborted) {
      throw new NbresumeError(NotebookErrorCode.RUN_SUPERSEDED, msg.runSuperseded(key), { where: key });
    }
    const scope = await interruptSignal(options.signals === undefined ? {} : { signals: options.signals });
    try {
      return await body(AbortSignal.any([scope.signal, controller.signal]));
    } finally {
      scope.end();
    }
  } finally {
    if (runs.get(key) === mine) runs.delete(key);
    returned();
  }
}

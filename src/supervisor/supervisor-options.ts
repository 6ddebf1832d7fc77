/**
 * What superviseNotebook() takes and returns (types and defaults only).
 */
import type { RestartRecord } from "./executed-notebook.js";
import type { Parameter } from "./parameters.js";
import type { SupervisorReporter } from "./reporter.js";
import type { StopController, StopSignal } from "./stop-signals.js";

export interface SupervisorOptions {
  /** The notebook to run (.ipynb). */
  readonly notebook: string;
  /** Where the executed notebook goes. Default: NAME.executed.ipynb beside the notebook. */
  readonly out?: string;
  /** A running Jupyter server; without it the supervisor starts its own on 127.0.0.1. */
  readonly server?: { readonly url: string; readonly token: string };
  /** The kernel. Default: the notebook's kernelspec name, else "nbresume". */
  readonly kernel?: string;
  /** Kernel restarts allowed over the whole run. Default 5. */
  readonly maxRestarts?: number;
  /** Values injected after the cell tagged "parameters". */
  readonly parameters?: readonly Parameter[];
  /** A kernel (or the own server) that is not ready within this is a failed start. Default 120 s. */
  readonly startTimeoutMs?: number;
  /** A cell that sends nothing for this long means a hung kernel: interrupted, then restarted. 0: never. Default 600 s. */
  readonly silentTimeoutMs?: number;
  /** After a stop request (or a silent cell), how long the cell gets to end once interrupted. Default 60 s. */
  readonly stopTimeoutMs?: number;
  /**
   * A training cell refused because another writer holds its bucket run (CHECKPOINT_LOCKED) waits
   * for that writer's lease to expire, then runs again, if the lease ends within this. Default 90 s
   * (a lease lasts 60 s, plus 30 s).
   */
  readonly leaseWaitMs?: number;
  /** Environment of the own server and its kernels. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Default: says nothing. */
  readonly reporter?: SupervisorReporter;
  /** Stop requests (the CLI feeds it SIGINT/SIGTERM). */
  readonly stop?: StopController;
  /** Each timeline event as it happens (a benchmark, a monitor). */
  readonly onTimeline?: (event: TimelineEvent) => void;
}

export const SUPERVISOR_DEFAULTS = {
  maxRestarts: 5,
  startTimeoutMs: 120_000,
  silentTimeoutMs: 600_000,
  stopTimeoutMs: 60_000,
  leaseWaitMs: 90_000,
  kernel: "nbresume",
} as const;

/** A moment of the run, for the benchmark and for anyone asking where the time went. */
export interface TimelineEvent {
  /** ms epoch. */
  readonly at: number;
  readonly what: "kernel-lost" | "kernel-ready" | "cell-started" | "cell-ended" | "resumed";
  /** The code cell: its number among the executed notebook's code cells (1-based, the injected parameters cell counted), as messages name it ("cell 6 of 7"). */
  readonly cell?: number;
  /** kernel-ready: the kernel's process, when it runs on this machine (own server). */
  readonly pid?: number;
}

export interface SupervisorResult {
  readonly status: "finished" | "cell-error" | "gave-up" | "stopped";
  /** 0 finished, 1 cell error, 3 gave up, 130/143 stopped by SIGINT/SIGTERM. */
  readonly exitCode: number;
  /** The executed notebook. */
  readonly out: string;
  readonly restarts: readonly RestartRecord[];
  /** cell-error / gave-up: the code cell that failed, if one was running: its number among the executed notebook's code cells (1-based, the injected parameters cell counted), as messages name it. */
  readonly cell?: number;
  /** cell-error: the error as the kernel showed it; gave-up: the last loss. */
  readonly error?: string;
  /** stopped: the signal. */
  readonly signal?: StopSignal;
  readonly timeline: readonly TimelineEvent[];
}

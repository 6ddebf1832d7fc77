/**
 * Where the supervisor says what happens (interface only): its own events, each cell as it
 * starts, and the cells' outputs as they arrive. terminal-reporter.ts draws them in a terminal;
 * a library caller or a test can pass its own.
 */
import type { IOPubMessage } from "./jupyter.js";
import type { DisplayedProgress } from "./progress-text.js";

export interface SupervisorReporter {
  /** One event line of the supervisor's ("Kernel lost …", "Restarting …"). */
  event(text: string, level: "info" | "warn" | "error"): void;
  /** A code cell starts: `position` 0-based among the code cells. */
  cellStarted(position: number, count: number, headline: string): void;
  /** One iopub message of the running cell; `progress` when it is a run's live progress display. */
  output(message: IOPubMessage, progress: DisplayedProgress | undefined): void;
  /** The running cell ended (or was abandoned). */
  cellEnded(): void;
}

/** Says nothing. */
export const silentReporter: SupervisorReporter = {
  event: () => undefined,
  cellStarted: () => undefined,
  output: () => undefined,
  cellEnded: () => undefined,
};

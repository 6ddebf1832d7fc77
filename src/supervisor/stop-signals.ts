/**
 * Stopping the supervisor: the first SIGINT/SIGTERM asks for a clean stop (interrupt the kernel so
 * the training commits its emergency checkpoint, wait for the cell, save the executed notebook,
 * shut the kernel down); a second one stops at once. The controller is the seam: the CLI feeds it
 * process signals, a library caller or a test calls request() itself.
 */

export type StopSignal = "SIGINT" | "SIGTERM";

export class StopController {
  private first: StopSignal | undefined;
  private second: StopSignal | undefined;
  private resolveGraceful!: (signal: StopSignal) => void;
  private resolveImmediate!: (signal: StopSignal) => void;
  /** Resolves with the first stop request. */
  readonly graceful: Promise<StopSignal>;
  /** Resolves with the second stop request. */
  readonly immediate: Promise<StopSignal>;

  constructor() {
    this.graceful = new Promise((resolve) => (this.resolveGraceful = resolve));
    this.immediate = new Promise((resolve) => (this.resolveImmediate = resolve));
  }

  /** The first signal, once one came. */
  get requested(): StopSignal | undefined {
    return this.first;
  }

  get atOnce(): StopSignal | undefined {
    return this.second;
  }

  /** Returns which stop this request is. */
  request(signal: StopSignal): "graceful" | "immediate" {
    if (this.first === undefined) {
      this.first = signal;
      this.resolveGraceful(signal);
      return "graceful";
    }
    this.second ??= signal;
    this.resolveImmediate(this.second);
    return "immediate";
  }
}

/**
 * Feeds SIGINT and SIGTERM of this process to `controller` (and to `onRequest`, to say what
 * happens) until the returned function is called. While they are installed, neither signal ends
 * the process by itself.
 */
export function listenForStopSignals(controller: StopController, onRequest: (signal: StopSignal, kind: "graceful" | "immediate") => void): () => void {
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const handler = (): void => onRequest(signal, controller.request(signal));
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  return () => {
    for (const remove of handlers) remove();
  };
}

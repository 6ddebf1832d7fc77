/**
 * One clear line for an interrupted cell instead of tslab's stack trace.
 *
 * When Jupyter interrupts (the ■ button: SIGINT to the kernel), tslab 1.0.22 ends the running cell
 * at once by rejecting it with its own `Error("Interrupted asynchronously")` (or, for synchronous
 * code, Node's "Script execution was interrupted by `SIGINT`") and prints the error with
 * console.error: a red block of ten tslab and runtime frames that say nothing to the user
 * (upstream: tslab/dist/executor.js, `execute()` → `console.error(e)`). The cell still ends as an
 * error, so "Run All" stops there as it should; only what is printed changes. An nbresume run in
 * that cell prints its own line once its emergency checkpoint is saved.
 */
import { kernelMessages } from "./messages.js";

const TSLAB_INTERRUPT = "Interrupted asynchronously";
const VM_INTERRUPT = /^Script execution was interrupted by `SIGINT`/;

/** Whether console.error(...args) is tslab reporting an interrupt. */
export function isInterruptReport(args: readonly unknown[]): boolean {
  if (args.length !== 1 || !(args[0] instanceof Error)) return false;
  const { message } = args[0];
  return message === TSLAB_INTERRUPT || VM_INTERRUPT.test(message);
}

/** Replaces tslab's interrupt stack traces on `target` (the kernel's console) with one line. */
export function quietInterrupts(target: Pick<Console, "error">): void {
  const original = target.error.bind(target);
  target.error = (...args: unknown[]): void => {
    if (isInterruptReport(args)) original(kernelMessages.interruptedCell());
    else original(...args);
  };
}

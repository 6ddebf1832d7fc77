/**
 * createDisplay() picks the Display (display.ts states the contract): tslab's inside a tslab
 * kernel, the terminal outside, or none. tslab is never imported here: inside a kernel the
 * kernel's own tslab instance is used (see tslab-display.ts), so plain Node scripts and tests load
 * this module without tslab.
 */
import { NbresumeError } from "../errors.js";
import type { Display, DisplayOptions } from "./display.js";
import { notebookMessages as msg } from "./messages.js";
import { NotebookErrorCode } from "./messages.js";
import { NullDisplay } from "./null-display.js";
import { TerminalDisplay } from "./terminal-display.js";
import { inTslabKernel, TslabDisplay } from "./tslab-display.js";

export function createDisplay(options: DisplayOptions = {}): Display {
  const kind = options.kind ?? "auto";
  switch (kind) {
    case "auto":
      return inTslabKernel() ? new TslabDisplay() : new TerminalDisplay(options.stream ?? process.stdout);
    case "tslab":
      if (!inTslabKernel()) throw new NbresumeError(NotebookErrorCode.NOT_IN_KERNEL, msg.notInKernel());
      return new TslabDisplay();
    case "terminal":
      return new TerminalDisplay(options.stream ?? process.stdout);
    case "none":
      return new NullDisplay();
    default:
      throw new TypeError(msg.badDisplayKind(kind));
  }
}

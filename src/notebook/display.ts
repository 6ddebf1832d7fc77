/**
 * Notebook output as MIME bundles (docs/CONTRIBUTING.md, "Notebook output is a MIME bundle"): renderers produce bytes or strings tagged with a
 * MIME type; a Display only sends them. One Display is one output that can be updated in place.
 *
 * createDisplay() picks the implementation: tslab's inside a tslab kernel, the terminal outside.
 * tslab is never imported here: inside a kernel the kernel's own tslab instance is used (see
 * tslab-display.ts), so plain Node scripts and tests load this module without tslab.
 */
import { NbresumeError } from "../errors.js";
import type { DisplayMetadata, MimeBundle } from "./mime-bundle.js";
export type { DisplayMetadata, MimeBundle } from "./mime-bundle.js";
import * as msg from "./messages.js";
import { NotebookErrorCode } from "./messages.js";
import { NullDisplay } from "./null-display.js";
import { TerminalDisplay, type TextSink } from "./terminal-display.js";
import { inTslabKernel, TslabDisplay } from "./tslab-display.js";

export interface Display {
  /** Adds this output (display_data). Calling it again adds another copy with the same identity. */
  show(bundle: MimeBundle, metadata?: DisplayMetadata): void;
  /** Replaces this output's content where it is shown (update_display_data); shows it if not yet shown. */
  update(bundle: MimeBundle, metadata?: DisplayMetadata): void;
}

export type DisplayKind = "auto" | "tslab" | "terminal" | "none";

export interface DisplayOptions {
  /** "auto" (default): tslab inside a tslab kernel, else the terminal. */
  readonly kind?: DisplayKind;
  /** Where the terminal display writes; default process.stdout. */
  readonly stream?: TextSink;
}

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

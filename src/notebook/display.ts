/**
 * Notebook output as MIME bundles (docs/CONTRIBUTING.md, "Notebook output is a MIME bundle"): renderers produce bytes or strings tagged with a
 * MIME type; a Display only sends them. One Display is one output that can be updated in place.
 *
 * This file is the contract (types only); create-display.ts picks the implementation: tslab's
 * inside a tslab kernel (tslab-display.ts), the terminal outside (terminal-display.ts), or none.
 */
import type { DisplayMetadata, MimeBundle } from "./mime-bundle.js";
export type { DisplayMetadata, MimeBundle } from "./mime-bundle.js";

/** The part of a stream the terminal display needs (process.stdout fits). */
export interface TextSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

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

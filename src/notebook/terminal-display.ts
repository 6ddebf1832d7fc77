import type { Display, TextSink } from "./display.js";
import { checkBundle, type MimeBundle } from "./mime-bundle.js";
import { notebookMessages as msg } from "./messages.js";

export type { TextSink };

/** The text a terminal can show for a bundle: text/plain, else markdown, else what it carried. */
export function bundleText(bundle: MimeBundle): string {
  const plain = bundle["text/plain"] ?? bundle["text/markdown"];
  if (typeof plain === "string") return plain;
  return msg.bundleSummary(Object.entries(bundle).map(([mime, v]) => ({ mime, size: v instanceof Uint8Array ? v.byteLength : Buffer.byteLength(v) })));
}

/**
 * The text part of each bundle, written to a terminal. On a TTY update() redraws the output in
 * place (cursor up, clear); elsewhere (a log file, CI) each update is a new line.
 */
export class TerminalDisplay implements Display {
  /** Terminal rows the last show/update took, so a TTY redraw knows how far to go up. */
  private rows = 0;

  constructor(private readonly out: TextSink) {}

  show(bundle: MimeBundle): void {
    checkBundle(bundle);
    this.write(bundleText(bundle));
  }

  update(bundle: MimeBundle): void {
    checkBundle(bundle);
    if (this.out.isTTY === true && this.rows > 0) this.out.write(`\x1b[${this.rows}F\x1b[0J`);
    this.write(bundleText(bundle));
  }

  private write(text: string): void {
    const body = text.endsWith("\n") ? text : `${text}\n`;
    this.out.write(body);
    const columns = this.out.columns !== undefined && this.out.columns > 0 ? this.out.columns : 80;
    this.rows = body
      .slice(0, -1)
      .split("\n")
      .reduce((n, line) => n + Math.max(1, Math.ceil(line.length / columns)), 0);
  }
}

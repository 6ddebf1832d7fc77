/**
 * The run in a terminal: one progress line redrawn in place (`\r` … `\x1b[K`) with messages
 * printed above it. Without a TTY (a log file, CI, a test capturing output) the progress line is
 * printed as a new line at most every `plainIntervalMs`, and on the final redraw.
 */
import type { TextSink } from "../notebook/terminal-display.js";
import type { RenderedPreview } from "../render/rendered-preview.js";
import { displayPath } from "./display-path.js";
import { formatProgressLine } from "./progress-format.js";
import type { ProgressView, RunOutput } from "./run-output.js";
import { settingsText, tableText, type Table } from "./table.js";

/** Lines of a text preview printed in a terminal (the whole text is in its .txt file). */
const MAX_PREVIEW_LINES = 24;

export interface TerminalOutputOptions {
  readonly stream: TextSink;
  /** Where warnings go (default: the same stream). */
  readonly errorStream?: TextSink;
  /** Without a TTY: the least time between two progress lines (default 10 s). */
  readonly plainIntervalMs?: number;
  /** The clock for that interval (default performance.now). */
  readonly now?: () => number;
  /** Where answers come from (onExisting: "ask"); asked only when it is a TTY. */
  readonly input?: NodeJS.ReadableStream & { readonly isTTY?: boolean };
}

export class TerminalOutput implements RunOutput {
  readonly pictures = false;
  /** The progress line currently on screen (TTY only), redrawn after a message. */
  private drawn: string | undefined;
  private lastPlainAt: number;
  private readonly now: () => number;

  constructor(private readonly options: TerminalOutputOptions) {
    this.now = options.now ?? (() => performance.now());
    // Without a TTY the first line comes one interval in: a run that ends sooner prints only its final line.
    this.lastPlainAt = this.now();
  }

  /** A y/n question on the terminal; undefined without one (stdin not a TTY). Empty or "y…" is yes. */
  async ask(question: string): Promise<boolean | undefined> {
    const input = this.options.input;
    if (input === undefined || input.isTTY !== true) return undefined;
    const { createInterface } = await import("node:readline/promises");
    const rl = createInterface({ input, output: this.options.stream as unknown as NodeJS.WritableStream });
    try {
      const answer = (await rl.question(question)).trim().toLowerCase();
      return answer === "" || answer.startsWith("y");
    } finally {
      rl.close();
    }
  }

  private get tty(): boolean {
    return this.options.stream.isTTY === true;
  }

  private write(sink: TextSink, text: string): void {
    if (this.drawn !== undefined) this.options.stream.write("\r\x1b[K");
    sink.write(text.endsWith("\n") ? text : `${text}\n`);
    if (this.drawn !== undefined) this.options.stream.write(this.drawn);
  }

  info(text: string): void {
    this.write(this.options.stream, text);
  }

  warn(text: string): void {
    this.write(this.options.errorStream ?? this.options.stream, `warning: ${text}`);
  }

  table(table: Table): void {
    // A collapsed table is reference material (a run's config): a few lines, not one per setting.
    this.info(table.collapsed === true ? settingsText(table) : tableText(table));
  }

  preview(preview: RenderedPreview, file?: string): void {
    const text = typeof preview.bundle["text/plain"] === "string" ? preview.bundle["text/plain"] : "";
    // A picture or a sound is only named here (its file is the thing to open); text is the preview itself.
    const pictureOrSound = "image/png" in preview.bundle || preview.files.some((f) => f.suffix.endsWith(".wav"));
    const lines = pictureOrSound ? [text.split("\n")[0] ?? ""] : text.split("\n").slice(0, MAX_PREVIEW_LINES);
    if (!pictureOrSound && text.split("\n").length > MAX_PREVIEW_LINES) lines.push("…");
    if (file !== undefined) lines[0] = `${lines[0] ?? ""} → ${displayPath(file)}`;
    this.info(lines.join("\n"));
  }

  event(text: string): void {
    this.info(text);
  }

  progress(view: ProgressView, final = false): void {
    const columns = this.options.stream.columns;
    const width = columns !== undefined && columns >= 20 ? columns : 80;
    const line = formatProgressLine(view.snapshot, {
      ...(view.context.status === undefined ? {} : { status: view.context.status }),
      ...(view.context.epoch === undefined ? {} : { epoch: view.context.epoch }),
      width,
    });
    if (this.tty) {
      this.drawn = `\r${line}\x1b[K`;
      this.options.stream.write(this.drawn);
      return;
    }
    const now = this.now();
    if (!final && now - this.lastPlainAt < (this.options.plainIntervalMs ?? 10_000)) return;
    this.lastPlainAt = now;
    this.options.stream.write(`${line}\n`);
  }

  end(): void {
    if (this.drawn !== undefined) this.options.stream.write("\n");
    this.drawn = undefined;
  }
}

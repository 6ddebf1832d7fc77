/**
 * The supervisor in a terminal: what the cells print, as they print it (stdout to stdout, stderr
 * to stderr), pictures and other rich outputs named in one line, the supervisor's events on
 * stderr, and the training's progress — on a TTY one bar redrawn in place (`\r` … `\x1b[K`)
 * below everything else, otherwise a plain line at most every `plainIntervalMs` and the last one
 * when the cell ends, so a log file stays short.
 */
import type { Writable } from "node:stream";
import { progressBar } from "../run/progress-format.js";
import type { IOPubMessage } from "./jupyter.js";
import { supervisorMessages as msg } from "./messages.js";
import type { DisplayedProgress } from "./progress-text.js";
import type { SupervisorReporter } from "./reporter.js";

const BAR_WIDTH = 20;

export interface TerminalReporterOptions {
  readonly stdout: Writable & { isTTY?: boolean; columns?: number };
  readonly stderr: Writable;
  /** ANSI colour for events (default: when stdout is a TTY and NO_COLOR is unset). */
  readonly color?: boolean;
  /** Without a TTY: the least time between two progress lines. Default 10 s. */
  readonly plainIntervalMs?: number;
  readonly now?: () => number;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

/** The most lines of a text output (a table) printed whole; a longer one ends with how many more it had. */
const MAX_TEXT_LINES = 40;

/**
 * A rich output in a terminal: a picture or a sound as one line naming its kind and the first line
 * of its caption; anything else (a table: the config changes, the checkpoints) as its text/plain,
 * which says what the HTML says — an unattended run's log is where a user reads it.
 */
function describe(data: Record<string, unknown>): string {
  const mimes = Object.keys(data);
  const media = mimes.some((m) => m.startsWith("image/") || m.startsWith("audio/"));
  if (!media && typeof data["text/plain"] === "string" && data["text/plain"].trim() !== "") {
    const lines = data["text/plain"].replace(/\n+$/, "").split("\n");
    return lines.length <= MAX_TEXT_LINES ? lines.join("\n") : [...lines.slice(0, MAX_TEXT_LINES), msg.moreLines(lines.length - MAX_TEXT_LINES)].join("\n");
  }
  const kind = mimes.find((m) => m.startsWith("image/")) ?? mimes.find((m) => m !== "text/plain") ?? "text/plain";
  const plain = typeof data["text/plain"] === "string" ? data["text/plain"] : "";
  return msg.displayNote(kind, plain.split("\n")[0]?.trim() ?? "");
}

/** A mirror note that says uploads fail (run/messages.ts mirrorNote). */
const MIRROR_FAILING = /: \d[\d,]* uploads? failed in a row /;

export class TerminalReporter implements SupervisorReporter {
  private readonly tty: boolean;
  private readonly color: boolean;
  private readonly plainIntervalMs: number;
  private readonly now: () => number;
  /** The progress bar on screen (TTY). */
  private drawn: string | undefined;
  /** The newest progress, and whether its plain line is printed. */
  private pending: DisplayedProgress | undefined;
  private lastPlainAt = Number.NEGATIVE_INFINITY;
  /** Whether the run's mirror was failing at the last progress, and whether that was said. */
  private mirrorFailing = false;
  private mirrorSaid = false;

  constructor(private readonly options: TerminalReporterOptions) {
    this.tty = options.stdout.isTTY === true;
    this.color = options.color ?? (this.tty && process.env["NO_COLOR"] === undefined && process.env["TERM"] !== "dumb");
    this.plainIntervalMs = options.plainIntervalMs ?? 10_000;
    this.now = options.now ?? (() => Date.now());
  }

  private write(sink: Writable, text: string): void {
    if (this.drawn !== undefined) this.options.stdout.write("\r\x1b[K");
    sink.write(text);
    if (this.drawn !== undefined) this.options.stdout.write(this.drawn);
  }

  private line(sink: Writable, text: string): void {
    this.write(sink, text.endsWith("\n") ? text : `${text}\n`);
  }

  event(text: string, level: "info" | "warn" | "error"): void {
    const paint = !this.color
      ? (t: string) => t
      : level === "error"
        ? (t: string) => `\x1b[31m${t}\x1b[39m`
        : level === "warn"
          ? (t: string) => `\x1b[33m${t}\x1b[39m`
          : (t: string) => `\x1b[1m${t}\x1b[22m`;
    this.line(this.options.stderr, paint(text));
  }

  cellStarted(position: number, count: number, headline: string): void {
    const text = msg.cellStarted(position, count, headline);
    this.line(this.options.stderr, this.color ? `\x1b[2m${text}\x1b[22m` : text);
  }

  output(message: IOPubMessage, progress: DisplayedProgress | undefined): void {
    const c = message.content;
    if (progress !== undefined) {
      this.progress(progress);
      return;
    }
    switch (message.msgType) {
      case "stream":
        this.write(c["name"] === "stderr" ? this.options.stderr : this.options.stdout, typeof c["text"] === "string" ? c["text"] : "");
        return;
      case "display_data":
        this.line(this.options.stdout, describe(record(c["data"])));
        return;
      case "execute_result": {
        const data = record(c["data"]);
        this.line(this.options.stdout, typeof data["text/plain"] === "string" ? data["text/plain"] : describe(data));
        return;
      }
      case "error": {
        const traceback = Array.isArray(c["traceback"]) ? c["traceback"].map(String).join("\n") : "";
        this.line(
          this.options.stderr,
          traceback !== "" ? traceback : `${typeof c["ename"] === "string" ? c["ename"] : ""}: ${typeof c["evalue"] === "string" ? c["evalue"] : ""}`,
        );
        return;
      }
      default:
    }
  }

  private progressText(p: DisplayedProgress, width: number): string {
    const fraction = p.total > 0 ? p.step / p.total : 0;
    const text = `▕${progressBar(fraction, BAR_WIDTH)}▏ ${p.lines.join(" · ")}`;
    return [...text].length > width ? `${[...text].slice(0, width - 1).join("")}…` : text;
  }

  private progress(p: DisplayedProgress): void {
    this.mirrorState(p.mirror);
    if (this.tty) {
      const columns = this.options.stdout.columns;
      const text = this.progressText(p, (columns !== undefined && columns >= 20 ? columns : 80) - 1);
      this.options.stdout.write(`\r\x1b[K${text}`);
      this.drawn = text;
      return;
    }
    this.pending = p;
    if (this.now() - this.lastPlainAt >= this.plainIntervalMs) this.flushPlain();
  }

  /**
   * A mirror that starts failing is said as a line of its own (the progress line leaves the display's
   * notes out, and an unattended run's log is where a user looks), and so is its recovery.
   */
  private mirrorState(note: string | undefined): void {
    if (note === undefined) return;
    const failing = MIRROR_FAILING.test(note);
    if (failing === this.mirrorFailing) return;
    this.mirrorFailing = failing;
    if (!failing && !this.mirrorSaid) return;
    this.mirrorSaid = true;
    this.event(note, failing ? "warn" : "info");
  }

  private flushPlain(): void {
    if (this.pending === undefined) return;
    this.options.stdout.write(`${this.pending.lines.join(" · ")}\n`);
    this.pending = undefined;
    this.lastPlainAt = this.now();
  }

  cellEnded(): void {
    if (this.drawn !== undefined) {
      this.options.stdout.write("\n");
      this.drawn = undefined;
    }
    this.flushPlain();
  }
}

/**
 * Where a command writes: data to stdout (human lines, or exactly one JSON document with --json),
 * notes and errors to stderr. Colour only when stdout is a terminal and NO_COLOR is unset.
 */
import type { Writable } from "node:stream";

/** Plain functions (not methods): callers pick one and call it unbound. */
export interface Colors {
  ok: (text: string) => string;
  bad: (text: string) => string;
  warn: (text: string) => string;
  dim: (text: string) => string;
  bold: (text: string) => string;
}

const plain: Colors = { ok: (t) => t, bad: (t) => t, warn: (t) => t, dim: (t) => t, bold: (t) => t };

const sgr =
  (open: number, close: number) =>
  (text: string): string =>
    `\x1b[${open}m${text}\x1b[${close}m`;
const ansi: Colors = { ok: sgr(32, 39), bad: sgr(31, 39), warn: sgr(33, 39), dim: sgr(2, 22), bold: sgr(1, 22) };

export interface Output {
  readonly color: Colors;
  /** One line of data on stdout. */
  line(text?: string): void;
  /** Several lines on stdout. */
  lines(texts: readonly string[]): void;
  /** The command's one JSON document on stdout (NaN and ±Infinity become null, as in the store's JSON). */
  json(value: unknown): void;
  /** A note or error line on stderr. */
  note(text: string): void;
}

export function createOutput(stdout: Writable & { isTTY?: boolean }, stderr: Writable, env: NodeJS.ProcessEnv): Output {
  const colored = stdout.isTTY === true && env["NO_COLOR"] === undefined && env["TERM"] !== "dumb";
  return {
    color: colored ? ansi : plain,
    line: (text = "") => void stdout.write(`${text}\n`),
    lines: (texts) => void (texts.length > 0 && stdout.write(`${texts.join("\n")}\n`)),
    json: (value) => void stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    note: (text) => void stderr.write(`${text}\n`),
  };
}

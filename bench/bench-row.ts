/**
 * What every benchmark module returns, so bench/suite.ts (`npm run bench`) can compose them:
 * each module exports an async function returning rows, and keeps its own CLI (`isMain`).
 * A row is flat JSON: `bench` (the module), `id` (stable key), `name` (the table label), then
 * figures (`ms`, `GBps`, ratios…) and an optional `note`.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface BenchRow {
  readonly bench: string;
  readonly id: string;
  readonly name: string;
  readonly note?: string;
  readonly [figure: string]: string | number | boolean | undefined;
}

/** Whether the module at `url` is the process's entry (its standalone CLI should run). */
export function isMain(url: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(url));
  } catch {
    return false;
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function show(value: string | number | boolean): string {
  if (typeof value !== "number") return String(value);
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(3);
}

/** A module's standalone output: one JSON object per line, or one readable line per row. */
/** The value after `--name` on the command line (`node … --name value`), if given. */
export function cliOption(name: string, args: readonly string[] = process.argv.slice(2)): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

export function printRows(rows: readonly BenchRow[], json: boolean): void {
  for (const row of rows) {
    if (json) {
      console.log(JSON.stringify(row));
      continue;
    }
    const { bench: _bench, id: _id, name, note, ...figures } = row;
    const text = Object.entries(figures)
      .filter(([, v]) => v !== undefined && v !== "")
      .map(([k, v]) => `${k} ${show(v as string | number | boolean)}`)
      .join("  ");
    console.log(`${name.padEnd(58)} ${text}${note ? `   ${note}` : ""}`);
  }
}

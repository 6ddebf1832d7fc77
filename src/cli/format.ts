/** Short text forms of values in human output (sizes and durations come from src/shared/format.ts). */
import { formatLoss } from "../shared/format.js";

/** "val_loss=0.4102 acc=0.93"; "-" when there are none. */
export function formatMetrics(metrics: Readonly<Record<string, number>>): string {
  const entries = Object.entries(metrics);
  if (entries.length === 0) return "-";
  return entries.map(([name, value]) => `${name}=${formatLoss(value)}`).join(" ");
}

/** "[64, 32]"; a scalar is "[]". */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** A JSON value on one line, cut to `max` characters with "…". */
export function formatValue(value: unknown, max = 60): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only what JSON.stringify cannot write (a function, a symbol) gets to String()
  const text = value === undefined ? "(absent)" : (JSON.stringify(value) ?? String(value));
  return [...text].length > max ? `${[...text].slice(0, max - 1).join("")}…` : text;
}

/** "1 checkpoint", "3 checkpoints". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * The pieces the run's message catalogs share (messages.ts composes them): counts with their noun,
 * a value shown short, what of a weights source does not fit a model, and the words for a config
 * change's severity and the parts a resume restores.
 */
import { formatCount } from "../shared/format.js";

export function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? "" : "s"}`;
}

export function show(value: unknown): string {
  if (value === undefined) return "(none)";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** How one config change is judged. */
export type ChangeSeverity = "unsafe" | "changes-training" | "harmless";

/** What a resume restores besides the weights (the `load` option). */
export type ResumePart = "optimizer" | "schedule" | "RNG" | "data order";

/** What of a weights source (`source`: "file", "checkpoint") does not fit the model's parameters. */
export function initReportParts(
  r: {
    missing: readonly string[];
    unused: readonly string[];
    mismatched: readonly { name: string; expected: string; found: string }[];
  },
  source = "file",
): string[] {
  const names = (list: readonly string[]): string => (list.length > 6 ? `${list.slice(0, 6).join(", ")}, … (${list.length} in all)` : list.join(", "));
  const parts: string[] = [];
  if (r.missing.length > 0) parts.push(`not in the ${source}: ${names(r.missing)}`);
  if (r.mismatched.length > 0) parts.push(`wrong shape: ${names(r.mismatched.map((m) => `${m.name} (model ${m.expected}, ${source} ${m.found})`))}`);
  if (r.unused.length > 0) parts.push(`not in the model: ${names(r.unused)}`);
  return parts;
}

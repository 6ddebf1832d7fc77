/**
 * How to continue a run from the command line, from what its checkpoints recorded: the command
 * (state.command), the flag the command takes for each option (state.commandFlags), or the
 * notebook that ran it (state.notebook). `nbresume resume-command` uses it to print a command
 * that resumes a given checkpoint (--ref) or continues with changed settings (--set), each change
 * judged as the run would judge it on resume:
 *
 *   safe             steps, saving, retention, the schedule… (a harmless change, or one that only
 *                    changes how training continues)
 *   needs override   the data, batch size, seed, optimizer: the weights still fit, the run refuses
 *                    unless allowConfigChange (the command's flag for it is added)
 *   unsafe           the model: its weights belong to another architecture
 */
import type { JsonObject, JsonValue } from "../engine/nn/json.js";
import type { JudgedChange } from "./run-config.js";

export type ChangeVerdict = "safe" | "needs override" | "unsafe";

export function verdictOf(change: JudgedChange): ChangeVerdict {
  if (change.severity !== "unsafe") return "safe";
  return change.path === "model" || change.path.startsWith("model.") || change.path.startsWith("model[") ? "unsafe" : "needs override";
}

/** One `--set key=value`: a dotted path into the config and a JSON value (else the text itself). */
export interface Setting {
  readonly path: string;
  readonly value: JsonValue;
}

/** `key=value` → a Setting; undefined when it is not one. */
export function parseSetting(text: string): Setting | undefined {
  const eq = text.indexOf("=");
  const key = eq < 0 ? "" : text.slice(0, eq).trim();
  if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(key)) return undefined;
  const raw = text.slice(eq + 1);
  let value: JsonValue = raw;
  try {
    value = JSON.parse(raw) as JsonValue;
  } catch {
    // not JSON: the text itself
  }
  return { path: key, value };
}

/** A copy of `config` with each setting applied (missing objects on the path are created). */
export function applySettings(config: JsonObject, settings: readonly Setting[]): JsonObject {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, JsonValue>;
  for (const s of settings) {
    const keys = s.path.split(".");
    let at: Record<string, JsonValue> = copy;
    for (const k of keys.slice(0, -1)) {
      const next = Object.hasOwn(at, k) ? at[k] : undefined;
      if (typeof next !== "object" || next === null || Array.isArray(next)) at[k] = {};
      at = at[k] as Record<string, JsonValue>;
    }
    at[keys[keys.length - 1]!] = s.value;
  }
  return copy;
}

function argText(value: JsonValue): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * `argv` with `--flag value` set for each edit whose option has a flag (replaced where the command
 * already has it, appended otherwise) and `--flag` alone for a boolean true; the options that have
 * no flag are returned, to be said.
 */
export function editCommand(
  argv: readonly string[],
  flags: Readonly<Record<string, string>>,
  edits: readonly { option: string; value: JsonValue }[],
): { argv: string[]; unflagged: string[] } {
  const out = [...argv];
  const unflagged: string[] = [];
  for (const { option, value } of edits) {
    const flag = Object.hasOwn(flags, option) ? flags[option] : undefined;
    if (flag === undefined) {
      unflagged.push(option);
      continue;
    }
    const at = out.indexOf(flag);
    if (value === true) {
      if (at < 0) out.push(flag);
      continue;
    }
    if (at >= 0 && at + 1 < out.length) out[at + 1] = argText(value);
    else out.push(flag, argText(value));
  }
  return { argv: out, unflagged };
}

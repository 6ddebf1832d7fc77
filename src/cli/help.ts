/** Usage and help texts, built from the command specs so they never drift from the flags. */
import { isRepeatable } from "./args.js";
import type { CommandSpec, OptionSpec } from "./command.js";
import { formatTable } from "./table.js";

/** What nbresume is, in one line: the first line of `nbresume --help`. */
export const TAGLINE = "nbresume: train models in notebooks without losing progress (verified checkpoints, bit-exact resume).";

/** Flags every command takes; --json only where the command prints data. */
export function commonOptions(spec: CommandSpec): OptionSpec[] {
  const common: OptionSpec[] = [];
  if (spec.json) common.push({ name: "json", type: "boolean", description: "print one JSON document instead of text" });
  common.push({ name: "debug", type: "boolean", description: "show stack traces of errors" }, { name: "help", type: "boolean", description: "show this help" });
  return common;
}

export function usageLine(spec: CommandSpec): string {
  const flags = spec.options.length > 0 || spec.json ? " [options]" : "";
  return `usage: nbresume ${spec.name} ${spec.args}${flags}`;
}

export function commandHelp(spec: CommandSpec): string[] {
  const options = [...spec.options, ...commonOptions(spec)];
  const rows = options.map((o) => [
    `--${o.name}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}`,
    isRepeatable(o) ? `${o.description}; may be given more than once` : o.description,
  ]);
  const lines = [usageLine(spec), "", ...spec.description.split("\n"), "", "Options:", ...formatTable([{ header: "" }, { header: "" }], rows).slice(1)];
  if (spec.examples && spec.examples.length > 0) lines.push("", "Examples:", ...spec.examples.map((e) => `  ${e}`));
  return lines;
}

/** `nbresume --help`: what nbresume is, then every command given (all-commands.ts's list), in its order. */
export function topUsage(specs: readonly CommandSpec[]): string[] {
  const rows = specs.map((s) => [`${s.name} ${s.args}`, s.summary]);
  return [
    TAGLINE,
    "",
    "usage: nbresume COMMAND [ARGS] [options]",
    "",
    "Commands:",
    ...formatTable([{ header: "" }, { header: "" }], rows).slice(1),
    "",
    "Every command takes --help; commands that print data take --json (one JSON document on stdout).",
    "Nothing is deleted without --yes (prune); rollback moves checkpoints aside, never deletes them.",
    "Exit codes: 0 ok, 1 a problem was found (damaged checkpoint, configs differ, nothing to resume), 2 bad usage;",
    "nbresume run has its own (nbresume run --help).",
  ];
}

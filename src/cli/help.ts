/** Usage and help texts, built from the command specs so they never drift from the flags. */
import type { CommandSpec, OptionSpec } from "./command.js";
import { formatTable } from "./table.js";

/** Flags every command takes; --json only where the command prints data. */
export function commonOptions(spec: CommandSpec): OptionSpec[] {
  const common: OptionSpec[] = [];
  if (spec.json) common.push({ name: "json", type: "boolean", description: "print one JSON document instead of text" });
  common.push(
    { name: "debug", type: "boolean", description: "show stack traces of errors" },
    { name: "help", type: "boolean", description: "show this help" },
  );
  return common;
}

export function usageLine(spec: CommandSpec): string {
  const flags = spec.options.length > 0 || spec.json ? " [options]" : "";
  return `usage: nbresume ${spec.name} ${spec.args}${flags}`;
}

export function commandHelp(spec: CommandSpec): string[] {
  const options = [...spec.options, ...commonOptions(spec)];
  const rows = options.map((o) => [`--${o.name}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}`, o.description]);
  const lines = [usageLine(spec), "", ...spec.description.split("\n"), "", "Options:", ...formatTable([{ header: "" }, { header: "" }], rows).slice(1)];
  if (spec.examples && spec.examples.length > 0) lines.push("", "Examples:", ...spec.examples.map((e) => `  ${e}`));
  return lines;
}

export function topUsage(specs: readonly CommandSpec[]): string[] {
  const rows = specs.map((s) => [`${s.name} ${s.args}`, s.summary]);
  return [
    "usage: nbresume COMMAND [ARGS] [options]",
    "",
    "Inspect and manage nbresume checkpoint directories (never changes anything without --yes).",
    "",
    "Commands:",
    ...formatTable([{ header: "" }, { header: "" }], rows).slice(1),
    "",
    "Every command takes --help; commands that print data take --json (one JSON document on stdout).",
    "Exit codes: 0 ok, 1 a problem was found (damaged checkpoint, configs differ, nothing to resume), 2 bad usage.",
  ];
}

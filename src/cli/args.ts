/**
 * The command-line grammar, small on purpose: `--flag`, `--name value`, `--name=value`, `-h`, and
 * `--` to end options. An option is given once, unless its spec is made with repeatable()
 * (`--param a=1 --param b=2`): optionValues() reads all of its values in order. Every mistake is a
 * UsageError whose message says what to type instead.
 */
import type { OptionSpec, OptionValue } from "./command.js";
import { cliMessages as messages } from "./messages.js";
import { UsageError } from "./usage-error.js";

export interface ParsedArgs {
  positionals: string[];
  /** Each option's value; a repeatable option's is every value given, in order. */
  options: Record<string, OptionValue>;
}

/** A string option that may be given more than once. */
export type RepeatableOptionSpec = OptionSpec & { readonly type: "string"; readonly repeatable: true };

/** The spec of a string option that may be given more than once, each value kept, in order. */
export function repeatable(spec: OptionSpec & { readonly type: "string" }): RepeatableOptionSpec {
  return { ...spec, repeatable: true };
}

export function isRepeatable(spec: OptionSpec): spec is RepeatableOptionSpec {
  return spec.type === "string" && spec.repeatable === true;
}

const SHORT: Readonly<Record<string, string>> = { h: "help" };

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], command: string): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const positionals: string[] = [];
  const options: Record<string, OptionValue> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else {
      const long = SHORT[arg.slice(1)];
      if (long === undefined) throw new UsageError(messages.unknownOption(arg, command, [...byName.keys()]), command);
      name = long;
    }
    const spec = byName.get(name);
    if (!spec) throw new UsageError(messages.unknownOption(`--${name}`, command, [...byName.keys()]), command);
    if (spec.type === "boolean") {
      if (inline !== undefined) throw new UsageError(messages.flagTakesNoValue(name), command);
      options[name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        throw new UsageError(messages.optionNeedsValue(name, spec.value ?? "VALUE"), command);
      }
      value = next;
      i++;
    }
    if (isRepeatable(spec)) {
      const given = options[name];
      options[name] = [...(Array.isArray(given) ? (given as readonly string[]) : []), value];
      continue;
    }
    if (options[name] !== undefined) throw new UsageError(messages.optionRepeated(name), command);
    options[name] = value;
  }
  return { positionals, options };
}

/** Every value given for an option, in order: all of a repeatable option's, else its one value (or none). */
export function optionValues(options: Readonly<Record<string, OptionValue>>, name: string): string[] {
  const raw = options[name];
  if (Array.isArray(raw)) return [...(raw as readonly string[])];
  return typeof raw === "string" ? [raw] : [];
}

/** A whole number ≥ 0 from an option, or a UsageError naming the option. */
export function countOption(options: Readonly<Record<string, OptionValue>>, name: string, command: string): number | undefined {
  const raw = options[name];
  if (raw === undefined) return undefined;
  const text = String(raw);
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(messages.notACount(name, text), command);
  return n;
}

export function stringOption(options: Readonly<Record<string, OptionValue>>, name: string): string | undefined {
  const raw = options[name];
  return typeof raw === "string" ? raw : undefined;
}

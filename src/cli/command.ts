/**
 * What a CLI command is (interface only). Each command lives in commands/<name>.ts and is listed
 * once in commands/all-commands.ts; cli.ts parses the flags a command declares and runs it.
 */
import type { Output } from "./output.js";

export interface OptionSpec {
  /** Long name without dashes: "keep-rolling". */
  readonly name: string;
  readonly type: "boolean" | "string";
  /** Placeholder shown in help for a string option: "N", "FILE". */
  readonly value?: string;
  readonly description: string;
  /** A string option that may be given more than once; its value is then every value, in order. */
  readonly repeatable?: boolean;
}

/** One option's parsed value: a flag, a string, a repeatable option's values, or absent. */
export type OptionValue = string | boolean | readonly string[] | undefined;

export interface CommandSpec {
  readonly name: string;
  /** One line for `nbresume --help`. */
  readonly summary: string;
  /** Positional arguments as shown in usage: "DIR", "CKPT". */
  readonly args: string;
  /** How many positional arguments the command takes. */
  readonly positionals: { readonly min: number; readonly max: number };
  /** A few lines for `nbresume CMD --help`. */
  readonly description: string;
  readonly options: readonly OptionSpec[];
  /** The command prints data and accepts --json (one JSON document on stdout). */
  readonly json: boolean;
  /** Examples for `--help`. */
  readonly examples?: readonly string[];
}

/** The parsed command line a command runs with. */
export interface CommandContext {
  readonly positionals: readonly string[];
  /** Option values by long name (booleans for flags, strings for values, a repeatable option's values; absent when not given). */
  readonly options: Readonly<Record<string, OptionValue>>;
  readonly json: boolean;
  readonly out: Output;
  /** "Now" for ages, fixed once per invocation. */
  readonly now: number;
}

export interface Command extends CommandSpec {
  /** Returns the exit code: 0 ok, 1 a problem was found. Usage mistakes throw UsageError (exit 2). */
  run(context: CommandContext): Promise<number>;
}

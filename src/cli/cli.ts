/**
 * The CLI's dispatcher: argv → command → exit code.
 *
 *   argv ─► command name ─► parseArgs(command's flags + --json/--debug/--help) ─► positional count
 *        ─► command.run() ─► 0 ok │ 1 problem found │ 2 bad usage (UsageError)
 *
 * Store errors (NbresumeError) print as one line plus what to do, never a stack trace unless --debug.
 */
import type { Writable } from "node:stream";
import { NBRESUME_VERSION } from "../checkpoint/library-version.js";
import { isNbresumeError } from "../errors.js";
import { parseArgs } from "./args.js";
import type { Command } from "./command.js";
import { ALL_COMMANDS } from "./commands/all-commands.js";
import { commandHelp, commonOptions, topUsage, usageLine } from "./help.js";
import { cliMessages as messages } from "./messages.js";
import { type Output, createOutput } from "./output.js";
import { UsageError } from "./usage-error.js";

export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

function findCommand(name: string): Command | undefined {
  return ALL_COMMANDS.find((c) => c.name === name);
}

function usageFailure(out: Output, error: UsageError): number {
  out.note(`nbresume: ${error.message}`);
  const command = error.command === undefined ? undefined : findCommand(error.command);
  out.note(command ? usageLine(command) : "usage: nbresume COMMAND [ARGS] [options]");
  out.note(messages.usageHint(command?.name));
  return EXIT_USAGE;
}

function errorChain(error: unknown): string[] {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the end of a cause chain can be anything thrown; String() is how it shows
    lines.push(current instanceof Error ? (current.stack ?? String(current)) : String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current !== undefined) lines.push("caused by:");
  }
  return lines;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const out = createOutput(io.stdout, io.stderr, io.env);
  const debug = argv.includes("--debug");
  const first = argv[0];
  if (first === undefined) {
    out.note(`nbresume: ${messages.missingCommand()}`);
    for (const line of topUsage(ALL_COMMANDS)) out.note(line);
    return EXIT_USAGE;
  }
  if (first === "--help" || first === "-h" || (first === "help" && argv.length === 1)) {
    out.lines(topUsage(ALL_COMMANDS));
    return EXIT_OK;
  }
  if (first === "--version") {
    out.line(NBRESUME_VERSION);
    return EXIT_OK;
  }
  const helpFor = first === "help" ? argv[1] : undefined;
  const name = helpFor ?? first;
  const command = findCommand(name);
  if (!command) {
    return usageFailure(
      out,
      new UsageError(
        messages.unknownCommand(
          name,
          ALL_COMMANDS.map((c) => c.name),
        ),
        undefined,
      ),
    );
  }
  if (helpFor !== undefined) {
    out.lines(commandHelp(command));
    return EXIT_OK;
  }

  let json = false;
  try {
    const parsed = parseArgs(argv.slice(1), [...command.options, ...commonOptions(command)], command.name);
    if (parsed.options["help"] === true) {
      out.lines(commandHelp(command));
      return EXIT_OK;
    }
    json = parsed.options["json"] === true;
    const { min, max } = command.positionals;
    if (parsed.positionals.length < min) throw new UsageError(messages.missingArgument(command.args), command.name);
    if (parsed.positionals.length > max) throw new UsageError(messages.extraArguments(parsed.positionals.slice(max)), command.name);
    return await command.run({ positionals: parsed.positionals, options: parsed.options, json, out, now: Date.now() });
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(out, error);
    if (isNbresumeError(error)) {
      if (json) out.json({ error: { code: error.code, message: error.message, where: error.where ?? null } });
      out.note(messages.error(error.message));
      const hint = messages.hintFor(error.code, error.where);
      if (hint) out.note(messages.hint(hint));
      if (debug) for (const line of errorChain(error)) out.note(line);
      return EXIT_PROBLEM;
    }
    const message = error instanceof Error ? error.message : String(error);
    if (json) out.json({ error: { code: "INTERNAL", message, where: null } });
    out.note(messages.internalError(message));
    if (debug) for (const line of errorChain(error)) out.note(line);
    return EXIT_PROBLEM;
  }
}

/**
 * `nbresume run NOTEBOOK.ipynb`: runs a training notebook unattended on a Jupyter server and keeps
 * it going through kernel crashes (src/supervisor/). The supervisor, and with it the heavy
 * Jupyter client, is imported only when this command runs, so every other command starts as fast
 * as before. It streams to the process's own stdout/stderr (a progress bar redrawn in place needs
 * the terminal itself) and listens for SIGINT/SIGTERM while it runs.
 */
import { resolve } from "node:path";
import { supervisorMessages as msg } from "../../supervisor/messages.js";
import { parseParameter, type Parameter } from "../../supervisor/parameters.js";
import { listenForStopSignals, StopController } from "../../supervisor/stop-signals.js";
import { SUPERVISOR_DEFAULTS } from "../../supervisor/supervisor-options.js";
import { TerminalReporter } from "../../supervisor/terminal-reporter.js";
import { countOption, optionValues, repeatable, stringOption } from "../args.js";
import type { Command, CommandContext } from "../command.js";
import { cliMessages as messages } from "../messages.js";
import { UsageError } from "../usage-error.js";

function secondsOption(options: CommandContext["options"], name: string, fallbackMs: number): number {
  const text = stringOption(options, name);
  if (text === undefined) return fallbackMs;
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(seconds)) throw new UsageError(messages.runNotSeconds(name, text), "run");
  return Math.round(seconds * 1000);
}

/** Every --param (repeatable), then the key=value arguments after the notebook, in that order (a later value of a name wins). */
function parameters(options: CommandContext["options"], extra: readonly string[]): Parameter[] {
  const texts = [...optionValues(options, "param"), ...extra];
  return texts.map((text) => {
    if (!text.includes("=")) throw new UsageError(messages.runParamNotKeyValue(text), "run");
    try {
      return parseParameter(text);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error), "run");
    }
  });
}

export const runCommand: Command = {
  name: "run",
  summary: "run a notebook unattended, restarting its kernel after a crash",
  args: "NOTEBOOK [key=value …]",
  positionals: { min: 1, max: Number.POSITIVE_INFINITY },
  description:
    "Executes the notebook's code cells in order on a Jupyter server — its own on 127.0.0.1 (random port and\n" +
    "token, stopped on exit), or --server URL --token T — streaming what they print and the training's progress,\n" +
    "and writes the executed notebook (every output, pictures included) at the end and after each crash.\n" +
    "When the kernel dies (out of memory, a segfault, a kill, the server itself), it is restarted and the notebook\n" +
    "runs again from the top: a resumable() training cell continues from its newest checkpoint, and the step it\n" +
    "resumes from is reported. It gives up after --max-restarts restarts, or after two crashes in a row with no\n" +
    "training progress. A cell that raises an error stops the run (a bug, not a crash: no restart).\n" +
    "--param key=value (one per parameter; key=value arguments after NOTEBOOK too) are injected, as papermill does,\n" +
    'in a cell after the code cell tagged "parameters" (key = value;), so one notebook serves short and long runs;\n' +
    "values that read as JSON (500, 1e-3, true) are those values, others strings.\n" +
    "Ctrl-C (SIGINT) or SIGTERM interrupts the kernel (the training commits an emergency checkpoint), waits for\n" +
    "the cell, saves the executed notebook, shuts the kernel down; a second Ctrl-C stops at once.\n" +
    "Exit codes: 0 finished, 1 a cell raised an error (or the server could not be used), 2 bad usage,\n" +
    "3 gave up after kernel crashes, 130 / 143 stopped by SIGINT / SIGTERM.",
  options: [
    { name: "server", type: "string", value: "URL", description: "a running Jupyter server (default: start one on 127.0.0.1)" },
    { name: "token", type: "string", value: "T", description: "its token (default: $JUPYTER_TOKEN)" },
    { name: "kernel", type: "string", value: "NAME", description: "the kernel (default: the notebook's, else nbresume)" },
    { name: "max-restarts", type: "string", value: "N", description: `kernel restarts allowed over the run (default ${SUPERVISOR_DEFAULTS.maxRestarts})` },
    { name: "out", type: "string", value: "FILE", description: "the executed notebook (default: NAME.executed.ipynb beside it)" },
    repeatable({ name: "param", type: "string", value: "key=value", description: "a parameter (key=value arguments after NOTEBOOK are parameters too)" }),
    {
      name: "start-timeout",
      type: "string",
      value: "SEC",
      description: `a kernel not ready within SEC failed to start (default ${SUPERVISOR_DEFAULTS.startTimeoutMs / 1000})`,
    },
    {
      name: "silent-timeout",
      type: "string",
      value: "SEC",
      description: `a cell silent for SEC means a hung kernel: restart it; 0 never (default ${SUPERVISOR_DEFAULTS.silentTimeoutMs / 1000})`,
    },
    {
      name: "stop-timeout",
      type: "string",
      value: "SEC",
      description: `after Ctrl-C, how long the cell gets to end (default ${SUPERVISOR_DEFAULTS.stopTimeoutMs / 1000})`,
    },
  ],
  json: false,
  examples: [
    "nbresume run notebooks/mnist-diffusion.ipynb --param steps=20000",
    "nbresume run train.ipynb --param steps=500 --param dir=runs/short --out runs/short.ipynb",
    'nbresume run train.ipynb --server http://127.0.0.1:8888/ --token "$TOKEN" --max-restarts 20',
  ],

  async run({ positionals, options }) {
    const notebook = positionals[0] as string;
    if (!notebook.endsWith(".ipynb") && notebook.includes("=")) throw new UsageError(messages.runNotANotebook(notebook), "run");
    const url = stringOption(options, "server");
    const token = stringOption(options, "token");
    if (token !== undefined && url === undefined) throw new UsageError(messages.runTokenNeedsServer(), "run");
    const out = stringOption(options, "out");
    if (out !== undefined && resolve(out) === resolve(notebook)) throw new UsageError(messages.runOutIsNotebook(out), "run");
    const maxRestarts = countOption(options, "max-restarts", "run");
    const settings = {
      notebook,
      parameters: parameters(options, positionals.slice(1)),
      startTimeoutMs: secondsOption(options, "start-timeout", SUPERVISOR_DEFAULTS.startTimeoutMs),
      silentTimeoutMs: secondsOption(options, "silent-timeout", SUPERVISOR_DEFAULTS.silentTimeoutMs),
      stopTimeoutMs: secondsOption(options, "stop-timeout", SUPERVISOR_DEFAULTS.stopTimeoutMs),
      ...(out === undefined ? {} : { out }),
      ...(url === undefined ? {} : { server: { url, token: token ?? process.env["JUPYTER_TOKEN"] ?? "" } }),
      ...(typeof options["kernel"] === "string" ? { kernel: options["kernel"] } : {}),
      ...(maxRestarts === undefined ? {} : { maxRestarts }),
    };

    const { superviseNotebook } = await import("../../supervisor/supervisor.js");
    const stop = new StopController();
    const reporter = new TerminalReporter({ stdout: process.stdout, stderr: process.stderr });
    const unlisten = listenForStopSignals(stop, () => undefined);
    // A guardian that runs all night must not die of a promise some library dropped: say so, go on.
    const stray = (reason: unknown): void => {
      reporter.event(msg.strayError(reason instanceof Error ? reason.message : String(reason)), "warn");
      if (options["debug"] === true && reason instanceof Error && reason.stack !== undefined) reporter.event(reason.stack, "warn");
    };
    process.on("unhandledRejection", stray);
    try {
      const result = await superviseNotebook({ ...settings, stop, reporter });
      return result.exitCode;
    } finally {
      process.off("unhandledRejection", stray);
      unlisten();
    }
  },
};

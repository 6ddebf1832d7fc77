/**
 * `nbresume resume-command CKPT [--ref X] [--set key=value …]`: the command line that continues the
 * run — from the checkpoint a rerun would resume, or from the one --ref names (the command's
 * resumeFrom flag is added), with changed settings (--set: each change judged safe / needs
 * override / unsafe, as the run judges it on resume). A run started from a notebook has no command
 * line: it is continued by rerunning its cell, or headless with `nbresume run NOTEBOOK`.
 */
import * as path from "node:path";
import { diffConfigs } from "../../shared/config-diff.js";
import { readRecordedRun } from "../../checkpoint/recorded-run.js";
import { quoteCommand } from "../../checkpoint/shell-quote.js";
import type { JsonObject, JsonValue } from "../../engine/nn/json.js";
import { NbresumeError } from "../../errors.js";
import { applySettings, editCommand, parseSetting, verdictOf, type Setting } from "../../run/continue-command.js";
import { judgeConfigDiff } from "../../run/run-config.js";
import { cellSource, cellTags, readNotebook, type Notebook } from "../../supervisor/notebook-file.js";
import { declarations, PARAMETERS_TAG, parameterArgument } from "../../supervisor/parameters.js";
import { optionValues, repeatable, stringOption } from "../args.js";
import type { Command } from "../command.js";
import { CliErrorCode, cliMessages as messages } from "../messages.js";
import { CHECKPOINT_OPTIONS, noteSkipped, openCkptArgument } from "../target.js";
import { UsageError } from "../usage-error.js";

/** Whether the dotted `key` names something in the recorded config (a leaf or a section). */
function inConfig(config: JsonObject, key: string): boolean {
  let at: JsonValue = config;
  for (const k of key.split(".")) {
    if (typeof at !== "object" || at === null || Array.isArray(at) || !Object.hasOwn(at, k)) return false;
    at = (at as JsonObject)[k] as JsonValue;
  }
  return true;
}

/** Every dotted path of the config, sections and leaves ("schedule", "schedule.lr"): what a --set key can name. */
function configPaths(config: JsonObject, at = ""): string[] {
  return Object.entries(config).flatMap(([k, v]) => {
    const key = at === "" ? k : `${at}.${k}`;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? [key, ...configPaths(v as JsonObject, key)] : [key];
  });
}

/**
 * The variables the notebook's parameters cell declares with let or var (what `nbresume run --param`
 * can set), [] without such a cell, undefined when the notebook cannot be read from here.
 */
function notebookParameters(file: string): string[] | undefined {
  let notebook: Notebook;
  try {
    notebook = readNotebook(path.resolve(file));
  } catch {
    return undefined;
  }
  const cell = notebook.cells.find((c) => c.cell_type === "code" && cellTags(c).includes(PARAMETERS_TAG));
  if (cell === undefined) return [];
  return [...declarations(cellSource(cell))].filter(([, how]) => how !== "const").map(([name]) => name);
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function short(value: unknown): string {
  if (value === undefined) return "(none)";
  const text = JSON.stringify(value);
  return text.length > 48 ? `${text.slice(0, 45)}…` : text;
}

export const resumeCommandCommand: Command = {
  name: "resume-command",
  summary: "print the exact command that continues the run (from --ref, with --set changes)",
  args: "CKPT [key=value …]",
  positionals: { min: 1, max: Number.POSITIVE_INFINITY },
  description:
    'Prints the command line the run recorded (state.json "command"), quoted for a POSIX shell, on stdout\n' +
    'alone, so `eval "$(nbresume resume-command DIR)"` continues the run; which checkpoint it resumes from\n' +
    "goes to stderr. CKPT is a checkpoint directory, or a checkpoint root with --ref (default auto: the\n" +
    "newest checkpoint that verifies, the one a rerun resumes from). For any other checkpoint the command\n" +
    'gets its resumeFrom flag (the run records which flag each option has, state.json "commandFlags").\n' +
    "--set key=value (repeatable, and further key=value arguments) change settings: each change is shown on\n" +
    "stderr with what resuming makes of it — safe, needs override (the allowConfigChange flag is added), or\n" +
    "unsafe (the model changed: exit 1, and no command on stdout) — and set through the command's flag for it.\n" +
    "A key must be one the run recorded (its config, or an option its command has a flag for): a key it does\n" +
    "not know is refused with the close match (exit 2). A run from a notebook prints `nbresume run NOTEBOOK`\n" +
    "with --param name=value for each setting and says which notebook and cell; a setting must then be a\n" +
    "parameter its parameters cell declares (a dotted config key is not one: exit 2, change it in the\n" +
    "notebook). Exits 1 when there is nothing to resume, the checkpoint records no way to continue, or a\n" +
    "change is unsafe.",
  options: [
    ...CHECKPOINT_OPTIONS,
    repeatable({ name: "set", type: "string", value: "KEY=VALUE", description: "a setting to change (repeatable; more as key=value arguments)" }),
  ],
  json: true,
  examples: [
    "nbresume resume-command runs/mnist",
    'eval "$(nbresume resume-command runs/mnist)"',
    "nbresume resume-command runs/mnist --ref best",
    "nbresume resume-command runs/mnist --set steps=6000 --set checkpointEvery=200",
  ],

  async run({ positionals, options, json, out }) {
    const texts = [...optionValues(options, "set"), ...positionals.slice(1)];
    const settings: Setting[] = texts.map((text) => {
      const s = parseSetting(text);
      if (s === undefined) throw new UsageError(messages.badSetting(text), "resume-command");
      return s;
    });
    const ref = stringOption(options, "ref");
    const target = await openCkptArgument({ positionals, options }, "resume-command", { verified: true });
    try {
      noteSkipped(out, target);
      const record = await target.store.readState(target.path);
      const recorded = readRecordedRun(record.state);
      const config = (recorded.configObject ?? {}) as JsonObject;
      const argv = recorded.command === undefined || typeof recorded.command === "string" ? undefined : [...recorded.command];
      const flags = recorded.commandFlags ?? {};
      const notebook = recorded.notebook;

      // Which checkpoint the plain command resumes: the newest that verifies. Another one needs the flag.
      const auto = await target.store.resolve("auto").catch(() => undefined);
      const edits: { option: string; value: JsonValue }[] = [];
      if (auto?.path !== target.path) edits.push({ option: "resumeFrom", value: target.path });

      // Each key must reach the run: through its command's flag or its config (a command line), or as a
      // parameter of its notebook. Anything else — a typo above all — would change nothing, silently.
      const parameters = argv === undefined && notebook?.path != null ? notebookParameters(notebook.path) : undefined;
      for (const s of settings) {
        if (argv !== undefined) {
          if (!inConfig(config, s.path) && !Object.hasOwn(flags, s.path))
            throw new UsageError(messages.unknownSetting(s.path, [...new Set([...configPaths(config), ...Object.keys(flags)])]), "resume-command");
        } else if (notebook?.path != null) {
          if (!IDENTIFIER.test(s.path)) throw new UsageError(messages.settingNotParameter(s.path, notebook.path, parameters), "resume-command");
          if (parameters !== undefined && !parameters.includes(s.path))
            throw new UsageError(messages.notADeclaredParameter(s.path, notebook.path, parameters), "resume-command");
          if (parameters === undefined && !inConfig(config, s.path))
            throw new UsageError(messages.unknownSetting(s.path, Object.keys(config)), "resume-command");
        }
      }
      // Judged as the run judges a config change: only keys its config records (a notebook parameter may be none).
      const judged = settings.filter((s) => inConfig(config, s.path));
      const changes =
        judged.length === 0 ? [] : judgeConfigDiff(diffConfigs(config, applySettings(config, judged)), config).map((c) => ({ ...c, verdict: verdictOf(c) }));
      for (const s of settings) edits.push({ option: s.path, value: s.value });
      if (changes.some((c) => c.verdict === "needs override")) edits.push({ option: "allowConfigChange", value: true });
      const unsafe = changes.filter((c) => c.verdict === "unsafe");

      let command: string;
      let edited: string[] | undefined;
      const notes: string[] = [];
      if (argv !== undefined) {
        const result = editCommand(argv, flags, edits);
        // A command without the flag still continues the run, from the newest checkpoint: said so, with what to do.
        if (result.unflagged.includes("resumeFrom")) notes.push(messages.noResumeFlag(target.path, auto?.name, path.dirname(target.path), ref ?? target.name));
        const unflagged = result.unflagged.filter((o) => o !== "allowConfigChange" && o !== "resumeFrom");
        if (unflagged.length > 0) notes.push(messages.noFlagFor(unflagged));
        edited = result.argv;
        command = quoteCommand(edited);
      } else if (notebook !== undefined && notebook.path !== null) {
        if (parameters !== undefined && !parameters.includes("resumeFrom") && edits.some((e) => e.option === "resumeFrom"))
          throw new UsageError(messages.notebookNoResumeFrom(notebook.path, target.path, path.dirname(target.path), ref ?? target.name), "resume-command");
        // As `nbresume run` takes them: --param name=value, one per parameter — the ones the run was
        // given (recorded), with the changes over them.
        const given = new Map<string, unknown>(Object.entries(notebook.parameters ?? {}));
        for (const e of edits) if (e.option !== "allowConfigChange") given.set(e.option, e.value);
        const params = [...given].flatMap(([name, value]) => ["--param", parameterArgument(name, value)]);
        edited = ["nbresume", "run", notebook.path, ...params];
        command = quoteCommand(edited);
        notes.push(messages.notebookContinue(notebook.path, notebook.cell), ...(params.length > 0 ? [messages.notebookParams()] : []));
      } else if (notebook !== undefined) {
        throw new NbresumeError(CliErrorCode.NO_COMMAND, messages.notebookUnknown(target.path), { where: target.path });
      } else {
        throw new NbresumeError(CliErrorCode.NO_COMMAND, messages.noCommand(target.path), { where: target.path });
      }

      // A command that resumes another model's weights is not printed: `eval "$(…)"` must not run it.
      const runnable = unsafe.length === 0;
      if (json) {
        out.json({
          checkpoint: target.path,
          name: target.name,
          step: record.step,
          command: runnable ? command : null,
          argv: runnable ? (edited ?? null) : null,
          config,
          // Present when they apply, so the document of a plain resume stays what it was.
          ...(notebook === undefined ? {} : { notebook }),
          ...(settings.length === 0 ? {} : { changes: changes.map((c) => ({ path: c.path, old: c.old ?? null, new: c.new ?? null, verdict: c.verdict })) }),
        });
        for (const n of notes) out.note(n);
        return unsafe.length > 0 ? 1 : 0;
      }
      out.note(messages.resumeFrom(target.name, record.step));
      for (const c of changes) out.note(messages.changeLine(c.path, short(c.old), short(c.new), `${c.verdict}: ${messages.verdictNote(c.verdict)}`));
      for (const n of notes) out.note(n);
      if (!runnable) {
        out.note(messages.unsafeChanges(unsafe.length));
        return 1;
      }
      out.line(command);
      return 0;
    } finally {
      await target.store.close();
    }
  },
};

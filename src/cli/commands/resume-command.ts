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
import { stringOption } from "../args.js";
import type { Command } from "../command.js";
import { CliErrorCode, cliMessages as messages } from "../messages.js";
import { CHECKPOINT_OPTIONS, noteSkipped, openCkptArgument } from "../target.js";
import { UsageError } from "../usage-error.js";

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
    "--set key=value (and further key=value arguments) change settings: each change is shown on stderr with\n" +
    "what resuming makes of it — safe, needs override (the allowConfigChange flag is added), or unsafe (the\n" +
    "model changed: exit 1) — and set through the command's flag for it. A run from a notebook prints\n" +
    "`nbresume run NOTEBOOK` and says which notebook and cell. Exits 1 when there is nothing to resume, the\n" +
    "checkpoint records no way to continue, or a change is unsafe.",
  options: [...CHECKPOINT_OPTIONS, { name: "set", type: "string", value: "KEY=VALUE", description: "a setting to change (more as key=value arguments)" }],
  json: true,
  examples: [
    "nbresume resume-command runs/mnist",
    'eval "$(nbresume resume-command runs/mnist)"',
    "nbresume resume-command runs/mnist --ref best",
    "nbresume resume-command runs/mnist --set steps=6000 checkpointEvery=200",
  ],

  async run({ positionals, options, json, out }) {
    const texts = [...(typeof options["set"] === "string" ? [options["set"]] : []), ...positionals.slice(1)];
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

      const changes =
        settings.length === 0
          ? []
          : judgeConfigDiff(diffConfigs(config, applySettings(config, settings)), config).map((c) => ({ ...c, verdict: verdictOf(c) }));
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
        const params = edits
          .filter((e) => e.option !== "allowConfigChange")
          .map((e) => `${e.option}=${typeof e.value === "string" ? e.value : JSON.stringify(e.value)}`);
        edited = ["nbresume", "run", notebook.path, ...params];
        command = quoteCommand(edited);
        notes.push(messages.notebookContinue(notebook.path, notebook.cell), ...(params.length > 0 ? [messages.notebookParams()] : []));
      } else if (notebook !== undefined) {
        throw new NbresumeError(CliErrorCode.NO_COMMAND, messages.notebookUnknown(target.path), { where: target.path });
      } else {
        throw new NbresumeError(CliErrorCode.NO_COMMAND, messages.noCommand(target.path), { where: target.path });
      }

      if (json) {
        out.json({
          checkpoint: target.path,
          name: target.name,
          step: record.step,
          command,
          argv: edited ?? null,
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
      if (unsafe.length > 0) out.note(messages.unsafeChanges(unsafe.length));
      out.line(command);
      return unsafe.length > 0 ? 1 : 0;
    } finally {
      await target.store.close();
    }
  },
};

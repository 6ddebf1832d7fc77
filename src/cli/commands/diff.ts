/** `nbresume diff CKPT --config FILE`: what changed between a checkpoint's config and a JSON config file. */
import { promises as fsp } from "node:fs";
import { MAX_JSON_DEPTH, jsonDepth } from "../../checkpoint/json-depth.js";
import { NbresumeError } from "../../errors.js";
import type { Command } from "../command.js";
import { formatValue, plural } from "../format.js";
import { CliErrorCode, cliMessages as messages } from "../messages.js";
import { formatTable } from "../table.js";
import { diffConfigs } from "../../shared/config-diff.js";
import { readRecordedRun } from "../../checkpoint/recorded-run.js";
import { CHECKPOINT_OPTIONS, noteSkipped, openCkptArgument } from "../target.js";
import { UsageError } from "../usage-error.js";

/**
 * The config file given with --config, parsed; a missing or malformed file is a usage error. It may
 * be a pipe (`--config <(…)`), so it is read as given, but nested no deeper than a checkpoint's state.
 */
async function readConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(messages.configUnreadable(file, (error as NodeJS.ErrnoException).code ?? String(error)), "diff");
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new UsageError(messages.configTooDeep(file, MAX_JSON_DEPTH), "diff");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(messages.configNotJson(file, (error as Error).message), "diff");
  }
}

export const diffCommand: Command = {
  name: "diff",
  summary: "compare a checkpoint's stored config with a JSON config file",
  args: "CKPT --config FILE",
  positionals: { min: 1, max: 1 },
  description:
    'Compares the config the run stored in the checkpoint (state.json "config") with the JSON file FILE:\n' +
    "paths added, removed, and changed with old → new values. The \"don't resume with different\n" +
    'hyperparameters" check. CKPT is a checkpoint directory, or a checkpoint root with --ref (default auto:\n' +
    "the newest checkpoint that verifies, the one a rerun resumes from). Exits 0 when they are equal, 1 when\n" +
    "they differ or the checkpoint records no config.",
  options: [{ name: "config", type: "string", value: "FILE", description: "the JSON config to compare with (required)" }, ...CHECKPOINT_OPTIONS],
  json: true,
  examples: ["nbresume diff runs/mnist --config config.json"],

  async run({ positionals, options, json, out }) {
    const file = options["config"];
    if (typeof file !== "string") throw new UsageError(messages.missingOption("config", "FILE"), "diff");
    const config = await readConfigFile(file);
    const target = await openCkptArgument({ positionals, options }, "diff", { verified: true });
    try {
      noteSkipped(out, target);
      // A missing config is said as such: diffed, it would read as a change of the whole root.
      const { state } = await target.store.readState(target.path);
      const recorded = readRecordedRun(state).config;
      if (recorded === undefined) {
        throw new NbresumeError(CliErrorCode.NO_CONFIG, messages.noConfig(target.path), { where: target.path });
      }
      const diff = diffConfigs(recorded, config);
      if (json) {
        out.json({
          checkpoint: target.path,
          name: target.name,
          config: file,
          same: diff.same,
          added: diff.added,
          removed: diff.removed,
          changed: diff.changed,
        });
        return diff.same ? 0 : 1;
      }
      const { color } = out;
      out.line(color.bold(`Config of ${target.name} vs ${file}`));
      if (diff.same) {
        out.line(color.ok("Same config: resuming with it continues the same run."));
        return 0;
      }
      const rows = [
        ...diff.changed.map((c) => ["changed", c.path, `${formatValue(c.old)} → ${formatValue(c.new)}`]),
        ...diff.removed.map((r) => ["removed", r.path, formatValue(r.value)]),
        ...diff.added.map((a) => ["added", a.path, formatValue(a.value)]),
      ];
      out.lines(formatTable([{ header: "CHANGE" }, { header: "PATH" }, { header: "CHECKPOINT → FILE" }], rows));
      const count = diff.changed.length + diff.removed.length + diff.added.length;
      out.line(color.bad(`${plural(count, "difference")}: ${diff.changed.length} changed, ${diff.removed.length} removed, ${diff.added.length} added.`));
      return 1;
    } finally {
      await target.store.close();
    }
  },
};

/**
 * `nbresume rollback DIR --ref REF`: the library's rollBack() on the command line — every
 * checkpoint newer than REF moved, one rename each, into DIR/rolled-back-<time>/ with its sample
 * grids and a copy of the run's record (nothing deleted), `latest` pointed at REF; the next run
 * resumes from it. Takes the directory's writer lock, so it refuses while a run of DIR trains.
 */
import { rollBack } from "../../run/roll-back.js";
import { formatBytes } from "../../shared/format.js";
import { stringOption } from "../args.js";
import type { Command } from "../command.js";
import { cliMessages as messages } from "../messages.js";
import { effectivePolicy } from "../policy.js";
import { openCheckpoint, openRoot, parseMetricOption } from "../target.js";
import { UsageError } from "../usage-error.js";

export const rollbackCommand: Command = {
  name: "rollback",
  summary: "move the checkpoints newer than --ref aside (kept) so the next run resumes from it",
  args: "DIR --ref REF",
  positionals: { min: 1, max: 1 },
  description:
    "Rolls the run in DIR back to the checkpoint REF names (best-previous, step:N, a checkpoint name…): every\n" +
    "checkpoint newer than it is moved, one atomic rename each, into DIR/rolled-back-<time>/ with the sample grids\n" +
    "of its step and a copy of the run's record (metrics.jsonl, loss.png, summary.json) — never deleted:\n" +
    "delete the folder to free the space, or move a checkpoint back to undo — and `latest` names REF. The next\n" +
    "run (a rerun of the cell, the recorded command) resumes from it. 'best' ranks by --metric, else by the\n" +
    "metric the run recorded. Takes DIR's writer lock: refused while a run of DIR is training.",
  options: [
    { name: "ref", type: "string", value: "REF", description: "the checkpoint to roll back to: best, best-previous, step:N or a name (required)" },
    { name: "metric", type: "string", value: "NAME:min|max", description: "the metric that ranks 'best' (default: what the run recorded)" },
  ],
  json: true,
  examples: ["nbresume rollback runs/mnist --ref best-previous", "nbresume rollback runs/mnist --ref step:4000"],

  async run({ positionals, options, json, out }) {
    const ref = stringOption(options, "ref");
    if (ref === undefined) throw new UsageError(messages.missingOption("ref", "REF"), "rollback");
    let bestMetric = parseMetricOption(options["metric"] as string | undefined, "rollback");
    const reader = await openRoot(positionals[0] as string, "rollback");
    const dir = reader.dir;
    try {
      bestMetric ??= (await effectivePolicy(reader, (await reader.list()).checkpoints, {})).bestMetric;
    } finally {
      await reader.close();
    }
    // The ref resolved as every command resolves it, so one that names nothing is said the same way.
    await (await openCheckpoint({ arg: dir, ref, bestMetric, verified: true, command: "rollback" })).store.close();
    const result = await rollBack(dir, ref, bestMetric === undefined ? {} : { bestMetric });
    if (json) {
      out.json({
        dir,
        target: { name: result.target.name, path: result.target.path, step: result.target.step, kind: result.target.kind },
        moved: result.moved,
        aside: result.aside ?? null,
        bytes: result.bytes,
      });
      return 0;
    }
    out.line(result.message);
    if (result.moved.length > 0) out.note(`# ${result.moved.join(", ")} (${formatBytes(result.bytes)})`);
    return 0;
  },
};

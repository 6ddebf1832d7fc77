/**
 * `nbresume prune DIR`: the retention plan with its reasons; deletes only with --yes, and then the
 * sample grids of the checkpoints it deleted too, as the run does when it prunes.
 */
import { CheckpointStore } from "../../checkpoint/store-factory.js";
import type { PlannedCheckpoint, RetentionPlan } from "../../checkpoint/store.js";
import { listRunPictures, pruneSampleGrids, type RunPicture } from "../../run/run-files.js";
import { formatBytes } from "../../shared/format.js";
import { countOption } from "../args.js";
import type { Command } from "../command.js";
import { plural } from "../format.js";
import { cliMessages as messages } from "../messages.js";
import { type EffectivePolicy, type SettingSource, effectivePolicy } from "../policy.js";
import { formatTable } from "../table.js";
import { openRoot, parseMetricOption } from "../target.js";
import { UsageError } from "../usage-error.js";

const SOURCE_TEXT: Readonly<Record<SettingSource, string>> = { flag: "flag", run: "recorded by the run", default: "store default" };

function policyText(p: EffectivePolicy): string {
  const epoch = p.keep.epoch === "all" ? "all" : `every ${p.keep.epoch.every}th`;
  const best = p.bestMetric
    ? `best ${p.keep.best} (${SOURCE_TEXT[p.sources.best]}) by ${p.bestMetric.name} ${p.bestMetric.mode} (${SOURCE_TEXT[p.sources.bestMetric]})`
    : "best off (no metric: --metric NAME:min|max)";
  return [
    `rolling ${p.keep.rolling} (${SOURCE_TEXT[p.sources.rolling]})`,
    `emergency ${p.keep.emergency} (${SOURCE_TEXT[p.sources.emergency]})`,
    best,
    `epoch ${epoch} (${SOURCE_TEXT[p.sources.epoch]})`,
  ].join(" · ");
}

export const pruneCommand: Command = {
  name: "prune",
  summary: "show the retention plan with reasons (dry run); --yes deletes what it drops",
  args: "DIR",
  positionals: { min: 1, max: 1 },
  description:
    "Computes which checkpoints the retention policy keeps and which it drops, with every reason, and\n" +
    "deletes nothing unless --yes is given. Each setting comes from its flag, else from the policy the run\n" +
    "recorded in the newest checkpoint's state.json (`keep`, `bestMetric`), else the store's default\n" +
    "(rolling 5, emergency 5, best 3, every epoch checkpoint). Never deleted: the newest checkpoint that\n" +
    "verifies, the current best, and what `latest` names. The sample grids saved with a deleted checkpoint\n" +
    "(samples-step-N.*) are deleted with it, as when the run prunes; previews are kept. --metric must be one the\n" +
    "checkpoints record (exit 2 otherwise). --yes takes the directory's writer lock, so it\n" +
    "fails while a training run holds it (and, like every writable open, removes .tmp-… leftovers).",
  options: [
    { name: "yes", type: "boolean", description: "delete the checkpoints the plan drops" },
    { name: "keep-rolling", type: "string", value: "N", description: "newest rolling checkpoints to keep" },
    { name: "keep-emergency", type: "string", value: "N", description: "newest emergency checkpoints to keep" },
    { name: "keep-best", type: "string", value: "K", description: "top-K checkpoints by --metric to keep" },
    { name: "keep-epoch-every", type: "string", value: "N", description: "keep epoch checkpoints whose epoch is a multiple of N (default all)" },
    { name: "metric", type: "string", value: "NAME:min|max", description: "the metric that ranks the best checkpoints" },
  ],
  json: true,
  examples: ["nbresume prune runs/mnist", "nbresume prune runs/mnist --keep-rolling 3 --metric val_loss:min --yes"],

  async run({ positionals, options, json, out }) {
    const yes = options["yes"] === true;
    const epochEvery = countOption(options, "keep-epoch-every", "prune");
    if (epochEvery === 0) throw new UsageError(messages.notAPositiveCount("keep-epoch-every", "0"), "prune");
    const flags = {
      rolling: countOption(options, "keep-rolling", "prune"),
      emergency: countOption(options, "keep-emergency", "prune"),
      best: countOption(options, "keep-best", "prune"),
      epochEvery,
      bestMetric: parseMetricOption(options["metric"] as string | undefined, "prune"),
    };
    const reader = await openRoot(positionals[0] as string, "prune");
    let policy: EffectivePolicy;
    let sizes: Map<string, number>;
    let order: Map<string, number>;
    let grids: RunPicture[];
    try {
      const { checkpoints } = await reader.list();
      // A metric no checkpoint records ranks nothing: "best" would keep none by it, silently.
      const recorded = [...new Set(checkpoints.flatMap((c) => Object.keys(c.metrics)))];
      if (flags.bestMetric !== undefined && checkpoints.length > 0 && !recorded.includes(flags.bestMetric.name)) {
        throw new UsageError(messages.metricNotRecorded(flags.bestMetric.name, reader.dir, recorded), "prune");
      }
      policy = await effectivePolicy(reader, checkpoints, flags);
      grids = await listRunPictures(reader.blobs);
      sizes = new Map(checkpoints.map((c) => [c.name, c.bytes]));
      order = new Map(checkpoints.map((c, i) => [c.name, i]));
    } finally {
      await reader.close();
    }
    const storeOptions = { keep: policy.keep, ...(policy.bestMetric ? { bestMetric: policy.bestMetric } : {}) };
    let plan: RetentionPlan;
    let deleted: string[] = [];
    let gridsRemoved: string[] = [];
    if (yes) {
      const store = await CheckpointStore.open(reader.dir, { ...storeOptions, autoPrune: false });
      try {
        const result = await store.prune();
        plan = result;
        deleted = result.deleted;
        // The grids go with the checkpoints they illustrate, as when the run prunes (under the same lock).
        const left = new Set((await store.list()).checkpoints.map((c) => c.step));
        if (deleted.length > 0) gridsRemoved = await pruneSampleGrids(store.blobs, left);
      } finally {
        await store.close();
      }
    } else {
      const store = await CheckpointStore.open(reader.dir, { ...storeOptions, readOnly: true });
      try {
        plan = await store.prune({ dryRun: true });
      } finally {
        await store.close();
      }
    }
    const bytesOf = (p: PlannedCheckpoint): number => sizes.get(p.name) ?? 0;
    // The dry run's: the grids of steps no kept checkpoint has.
    const keptSteps = new Set(plan.keep.map((p) => p.step));
    const dropSteps = new Set(plan.delete.map((p) => p.step));
    const gridsDropped = yes ? gridsRemoved : grids.filter((g) => g.kind === "samples" && dropSteps.has(g.step) && !keptSteps.has(g.step)).map((g) => g.name);
    const gridBytes = grids.filter((g) => gridsDropped.includes(g.name)).reduce((s, g) => s + g.bytes, 0);
    const deleteBytes = plan.delete.reduce((s, p) => s + bytesOf(p), 0);
    const keepBytes = plan.keep.reduce((s, p) => s + bytesOf(p), 0);

    if (json) {
      const entry = (p: PlannedCheckpoint) => ({ name: p.name, path: p.path, kind: p.kind, step: p.step, bytes: bytesOf(p), reasons: p.reasons });
      out.json({
        dir: reader.dir,
        dryRun: !yes,
        policy: { ...policy.keep, bestMetric: policy.bestMetric ?? null, sources: policy.sources, recordedIn: policy.recordedIn ?? null },
        keep: plan.keep.map(entry),
        delete: plan.delete.map(entry),
        deleted,
        bytesFreed: plan.delete.filter((p) => deleted.includes(p.name)).reduce((s, p) => s + bytesOf(p), 0),
        sampleGrids: { [yes ? "deleted" : "delete"]: gridsDropped, bytes: gridBytes },
      });
      return 0;
    }

    const { color } = out;
    out.line(color.bold(yes ? `Pruning ${reader.dir}` : `Retention plan for ${reader.dir} (dry run)`));
    out.line(`policy: ${policyText(policy)}`);
    if (policy.recordedIn === undefined && Object.values(flags).every((v) => v === undefined)) {
      out.line(color.warn(messages.defaultPolicy()));
    }
    const rows = [
      ...plan.keep.map((p) => ({ p, action: "keep" })),
      ...plan.delete.map((p) => ({ p, action: yes ? (deleted.includes(p.name) ? "deleted" : "FAILED") : "DELETE" })),
    ].sort((a, b) => (order.get(a.p.name) ?? 0) - (order.get(b.p.name) ?? 0));
    if (rows.length === 0) {
      out.line(messages.noCheckpoints(reader.dir));
      return 0;
    }
    out.line();
    out.lines(
      formatTable(
        [
          { header: "ACTION" },
          { header: "NAME" },
          { header: "KIND" },
          { header: "STEP", align: "right" },
          { header: "SIZE", align: "right" },
          { header: "WHY" },
        ],
        rows.map(({ p, action }) => [action, p.name, p.kind, String(p.step), formatBytes(bytesOf(p)), p.reasons.join("; ")]),
        { style: (text, row, col) => (col === 0 && rows[row]?.action !== "keep" ? color.bad(text) : text) },
      ),
    );
    out.line();
    if (yes) {
      out.line(`Deleted ${plural(deleted.length, "checkpoint")} (${formatBytes(deleteBytes)}); kept ${plan.keep.length} (${formatBytes(keepBytes)}).`);
      if (gridsDropped.length > 0) out.line(messages.pruneGrids(true, gridsDropped.length, formatBytes(gridBytes)));
    } else {
      out.line(
        `Would delete ${plural(plan.delete.length, "checkpoint")} (${formatBytes(deleteBytes)}); keeps ${plan.keep.length} (${formatBytes(keepBytes)}).`,
      );
      if (gridsDropped.length > 0) out.line(messages.pruneGrids(false, gridsDropped.length, formatBytes(gridBytes)));
      if (plan.delete.length > 0) out.line(messages.pruneDryRun());
    }
    return 0;
  },
};

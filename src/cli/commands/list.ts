/** `nbresume list DIR`: the checkpoints grouped by kind, with the latest target and the current best marked. */
import { ownValue } from "../../checkpoint/manifest.js";
import { CHECKPOINT_KINDS } from "../../checkpoint/naming.js";
import { rankByMetric } from "../../checkpoint/retention.js";
import type { CheckpointInfo, CheckpointKind } from "../../checkpoint/store.js";
import { formatBytes } from "../../shared/format.js";
import { ageSeconds, formatAge } from "../age.js";
import type { Command } from "../command.js";
import { formatMetrics, plural } from "../format.js";
import { messages } from "../messages.js";
import { effectivePolicy } from "../policy.js";
import { formatTable } from "../table.js";
import { openRoot, parseMetricOption, readLatestName } from "../target.js";

export const listCommand: Command = {
  name: "list",
  summary: "checkpoints by kind: step, epoch, metrics, size, age, verified; latest and best marked",
  args: "DIR",
  positionals: { min: 1, max: 1 },
  description:
    "Lists the committed checkpoints in DIR grouped by kind (rolling, emergency, epoch, final), oldest first,\n" +
    "with totals per kind and overall. Sizes and metrics come from each manifest; files are hashed only\n" +
    "with --verify. The checkpoint `latest` names and the current best (by --metric, or the metric the run\n" +
    "recorded) are marked. Exits 1 if a checkpoint is found damaged.",
  options: [
    { name: "verify", type: "boolean", description: "hash every file of every checkpoint (deep check)" },
    { name: "metric", type: "string", value: "NAME:min|max", description: "the metric that ranks the best checkpoint" },
  ],
  json: true,
  examples: ["nbresume list runs/mnist", "nbresume list runs/mnist --verify --metric val_loss:min"],

  async run({ positionals, options, json, out, now }) {
    const flagMetric = parseMetricOption(options["metric"] as string | undefined, "list");
    const store = await openRoot(positionals[0] as string, "list");
    try {
      const deep = options["verify"] === true;
      const listing = await store.list({ verify: deep });
      const { bestMetric } = await effectivePolicy(store, listing.checkpoints, { bestMetric: flagMetric });
      const latest = await readLatestName(store);
      let best: CheckpointInfo | undefined;
      if (bestMetric) {
        const ranked = rankByMetric(
          listing.checkpoints.map((c) => ({ c, name: c.name, step: c.step, created: c.created, metric: c.manifest ? (ownValue(c.manifest.metrics, bestMetric.name) as number | undefined) : undefined })),
          bestMetric.mode,
        );
        // The best is what resolve("best") would answer: the top-ranked one that is not known damaged.
        best = ranked.find((r) => r.c.verified !== false)?.c;
      }
      const damaged = listing.checkpoints.filter((c) => c.verified === false);

      if (json) {
        out.json({
          dir: listing.dir,
          deepChecked: deep,
          latest: latest ?? null,
          best: bestMetric ? { metric: bestMetric.name, mode: bestMetric.mode, name: best?.name ?? null } : null,
          checkpoints: listing.checkpoints.map((c) => ({
            name: c.name, path: c.path, kind: c.kind, step: c.step, epoch: c.epoch ?? null, metrics: c.metrics,
            created: c.created ?? null, ageSeconds: ageSeconds(c.created, now), bytes: c.bytes, groups: c.groups,
            verified: c.verified ?? null, problems: c.problems ?? [],
            latest: c.name === latest, best: c === best,
          })),
          totals: listing.totals,
          total: listing.total,
        });
        return damaged.length > 0 ? 1 : 0;
      }

      const { color } = out;
      out.line(color.bold(`Checkpoints in ${listing.dir}`));
      if (listing.checkpoints.length === 0) {
        out.line(messages.noCheckpoints(listing.dir));
        return 0;
      }
      const latestListed = latest !== undefined && listing.checkpoints.some((c) => c.name === latest);
      const marks = [`latest → ${latest === undefined ? "(none)" : latestListed ? latest : `${latest} (${messages.latestMissing()})`}`];
      marks.push(bestMetric ? `best by ${bestMetric.name} (${bestMetric.mode}) → ${best?.name ?? "(none has it)"}` : "best: no metric (pass --metric NAME:min|max)");
      out.line(marks.join(" · "));
      const verifiedText = (c: CheckpointInfo): string => (c.verified === undefined ? "not checked" : c.verified ? "ok" : "FAILED");
      // One table over every kind, so the columns line up from group to group.
      const ordered = CHECKPOINT_KINDS.flatMap((kind) => listing.checkpoints.filter((c) => c.kind === kind));
      const [header, ...lines] = formatTable(
        [{ header: "NAME" }, { header: "STEP", align: "right" }, { header: "EPOCH", align: "right" }, { header: "METRICS" },
          { header: "SIZE", align: "right" }, { header: "AGE" }, { header: "VERIFIED" }, { header: "MARK" }],
        ordered.map((c) => [
          c.name, String(c.step), c.epoch === undefined ? "?" : String(c.epoch), formatMetrics(c.metrics), formatBytes(c.bytes),
          formatAge(c.created, now), verifiedText(c), [c.name === latest ? "latest" : "", c === best ? "best" : ""].filter(Boolean).join(", "),
        ]),
        { style: (text, row, col) => (col !== 6 ? text : ordered[row]?.verified === false ? color.bad(text) : ordered[row]?.verified ? color.ok(text) : color.dim(text)) },
      );
      for (const kind of CHECKPOINT_KINDS) {
        const total = listing.totals[kind as CheckpointKind];
        if (total.count === 0) continue;
        out.line();
        out.line(color.bold(`${kind} — ${plural(total.count, "checkpoint")}, ${formatBytes(total.bytes)}`));
        out.line(header);
        ordered.forEach((c, i) => {
          if (c.kind !== kind) return;
          out.line(lines[i]);
          for (const p of c.problems ?? []) out.line(color.bad(`    ✗ ${p.message}`));
        });
      }
      out.line();
      const perKind = CHECKPOINT_KINDS.filter((k) => listing.totals[k].count > 0).map((k) => `${k} ${listing.totals[k].count}`).join(" · ");
      out.line(`Total: ${plural(listing.total.count, "checkpoint")}, ${formatBytes(listing.total.bytes)} (${perKind})`);
      if (!deep) out.line(color.dim("Files not hashed: run with --verify for a deep check."));
      else if (damaged.length > 0) out.line(color.bad(`${plural(damaged.length, "checkpoint")} failed verification.`));
      return damaged.length > 0 ? 1 : 0;
    } finally {
      await store.close();
    }
  },
};

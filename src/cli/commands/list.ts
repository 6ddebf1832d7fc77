/**
 * `nbresume list DIR`: the checkpoints grouped by kind, with the latest target and the current best
 * marked; with --verify, each one ok, FAILED (damaged) or diverged (intact, non-finite numbers).
 * Ends with one line on the rolled-back-… folders a roll-back or a fresh start left in DIR (not
 * listed, never pruned): that they exist, their size, how to remove them. Exits 1 when it shows a
 * FAILED or diverged checkpoint. A folder of runs (no checkpoints, subfolders that have them) is
 * named as such, with its runs.
 */
import { ownValue } from "../../checkpoint/manifest.js";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { CHECKPOINT_KINDS, parseCheckpointDirName } from "../../checkpoint/naming.js";
import { rankByMetric } from "../../checkpoint/retention.js";
import { quoteArg } from "../../checkpoint/shell-quote.js";
import { isUrlLocation } from "../../checkpoint/storage/location.js";
import type { CheckpointInfo, DiskUsage } from "../../checkpoint/store.js";
import { formatBytes } from "../../shared/format.js";
import { ageSeconds, formatAge } from "../age.js";
import type { Command } from "../command.js";
import { formatMetrics, plural } from "../format.js";
import { cliMessages as messages } from "../messages.js";
import { effectivePolicy } from "../policy.js";
import { formatTable } from "../table.js";
import { openRoot, parseMetricOption, readLatestName } from "../target.js";
import { verifyStatus, withValueNotes } from "./verify.js";

/** The set-aside line: how many rolled-back-… folders DIR holds, their size, and the command that removes them. */
function setAsideLine(dir: string, aside: DiskUsage["setAside"]): string {
  const remove = isUrlLocation(dir)
    ? `aws s3 rm --recursive ${dir.replace(/\/+$/, "")}/${aside.names.length === 1 ? aside.names[0] : "<folder>"}/`
    : `rm -r ${quoteArg(dir)}/rolled-back-*`;
  return messages.listSetAside(aside.count, formatBytes(aside.bytes), aside.names, remove);
}

/** The subfolders of a directory without checkpoints that are runs themselves (hold checkpoints), by name. */
async function runsInside(dir: string): Promise<string[]> {
  if (isUrlLocation(dir)) return [];
  const runs: string[] = [];
  for (const entry of await fsp.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const inside = await fsp.readdir(path.join(dir, entry.name)).catch(() => []);
    if (inside.some((name) => parseCheckpointDirName(name) !== undefined)) runs.push(entry.name);
  }
  return runs.sort();
}

export const listCommand: Command = {
  name: "list",
  summary: "checkpoints by kind: step, epoch, metrics, size, age, verified; latest and best marked",
  args: "DIR",
  positionals: { min: 1, max: 1 },
  description:
    `Lists the committed checkpoints in DIR grouped by kind (${CHECKPOINT_KINDS.join(", ")}), oldest first,\n` +
    "with totals per kind and overall. Sizes and metrics come from each manifest; files are hashed only\n" +
    "with --verify. The checkpoint `latest` names and the current best (by --metric, or the metric the run\n" +
    "recorded) are marked. With --verify, a checkpoint whose files are intact but whose metrics or tensor values\n" +
    "are NaN or infinite is marked diverged. A last line says what rolled-back-… folders (set aside by a\n" +
    "roll-back or a fresh start) DIR holds, their size and how to remove them. A DIR without checkpoints whose\n" +
    "subfolders are runs is said to hold those runs. Exits 1 when the table shows a checkpoint FAILED (damaged:\n" +
    "with --verify, or without it when its manifest cannot be read) or diverged, as verify does; 0 otherwise.",
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
      const [listing, { setAside }] = await Promise.all([store.list({ verify: deep }), store.du()]);
      if (deep) {
        // The tensor values of the intact ones, judged as verify judges them (NaN/Inf: diverged).
        for (const c of listing.checkpoints) {
          if (c.verified !== true) continue;
          const { problems } = await withValueNotes(store, c.path, []);
          if (problems.length > 0) Object.assign(c, { verified: false, problems });
        }
      }
      const { bestMetric } = await effectivePolicy(store, listing.checkpoints, { bestMetric: flagMetric });
      const latest = await readLatestName(store);
      let best: CheckpointInfo | undefined;
      if (bestMetric) {
        const ranked = rankByMetric(
          listing.checkpoints.map((c) => ({
            c,
            name: c.name,
            step: c.step,
            created: c.created,
            metric: c.manifest ? (ownValue(c.manifest.metrics, bestMetric.name) as number | undefined) : undefined,
          })),
          bestMetric.mode,
        );
        // The best is what resolve("best") would answer: the top-ranked one that is not known damaged.
        best = ranked.find((r) => r.c.verified !== false)?.c;
      }
      const damaged = listing.checkpoints.filter((c) => c.verified === false);
      const runs = listing.checkpoints.length === 0 ? await runsInside(listing.dir) : [];

      if (json) {
        out.json({
          dir: listing.dir,
          deepChecked: deep,
          latest: latest ?? null,
          best: bestMetric ? { metric: bestMetric.name, mode: bestMetric.mode, name: best?.name ?? null } : null,
          checkpoints: listing.checkpoints.map((c) => ({
            name: c.name,
            path: c.path,
            kind: c.kind,
            step: c.step,
            epoch: c.epoch ?? null,
            metrics: c.metrics,
            created: c.created ?? null,
            ageSeconds: ageSeconds(c.created, now),
            bytes: c.bytes,
            groups: c.groups,
            verified: c.verified ?? null,
            diverged: c.verified === false && verifyStatus(c.problems ?? []) === "diverged",
            problems: c.problems ?? [],
            latest: c.name === latest,
            best: c === best,
          })),
          totals: listing.totals,
          total: listing.total,
          setAside,
          // A folder of runs: the subfolders that are runs (empty otherwise).
          runs,
        });
        return damaged.length > 0 ? 1 : 0;
      }

      const { color } = out;
      out.line(color.bold(`Checkpoints in ${listing.dir}`));
      if (listing.checkpoints.length === 0) {
        out.line(runs.length > 0 ? messages.holdsRuns(listing.dir, runs) : messages.noCheckpoints(listing.dir));
        if (setAside.count > 0) out.line(setAsideLine(listing.dir, setAside));
        return 0;
      }
      const latestListed = latest !== undefined && listing.checkpoints.some((c) => c.name === latest);
      const marks = [`latest → ${latest === undefined ? "(none)" : latestListed ? latest : `${latest} (${messages.latestMissing()})`}`];
      marks.push(
        bestMetric ? `best by ${bestMetric.name} (${bestMetric.mode}) → ${best?.name ?? "(none has it)"}` : "best: no metric (pass --metric NAME:min|max)",
      );
      out.line(marks.join(" · "));
      const isDiverged = (c: CheckpointInfo): boolean => c.verified === false && verifyStatus(c.problems ?? []) === "diverged";
      const verifiedText = (c: CheckpointInfo): string =>
        c.verified === undefined ? "not checked" : c.verified ? "ok" : isDiverged(c) ? "diverged" : "FAILED";
      // One table over every kind, so the columns line up from group to group.
      const ordered = CHECKPOINT_KINDS.flatMap((kind) => listing.checkpoints.filter((c) => c.kind === kind));
      const [header, ...lines] = formatTable(
        [
          { header: "NAME" },
          { header: "STEP", align: "right" },
          { header: "EPOCH", align: "right" },
          { header: "METRICS" },
          { header: "SIZE", align: "right" },
          { header: "AGE" },
          { header: "VERIFIED" },
          { header: "MARK" },
        ],
        ordered.map((c) => [
          c.name,
          String(c.step),
          c.epoch === undefined ? "?" : String(c.epoch),
          formatMetrics(c.metrics),
          formatBytes(c.bytes),
          formatAge(c.created, now),
          verifiedText(c),
          [c.name === latest ? "latest" : "", c === best ? "best" : ""].filter(Boolean).join(", "),
        ]),
        {
          style: (text, row, col) => {
            const c = ordered[row];
            if (col !== 6 || c === undefined) return text;
            return c.verified === false ? (isDiverged(c) ? color.warn(text) : color.bad(text)) : c.verified ? color.ok(text) : color.dim(text);
          },
        },
      );
      for (const kind of CHECKPOINT_KINDS) {
        const total = listing.totals[kind];
        if (total.count === 0) continue;
        out.line();
        out.line(color.bold(`${kind} — ${plural(total.count, "checkpoint")}, ${formatBytes(total.bytes)}`));
        out.line(header);
        ordered.forEach((c, i) => {
          if (c.kind !== kind) return;
          out.line(lines[i]);
          for (const p of c.problems ?? []) out.line((p.kind === "diverged" ? color.warn : color.bad)(`    ✗ ${p.message}`));
        });
      }
      out.line();
      const perKind = CHECKPOINT_KINDS.filter((k) => listing.totals[k].count > 0)
        .map((k) => `${k} ${listing.totals[k].count}`)
        .join(" · ");
      out.line(`Total: ${plural(listing.total.count, "checkpoint")}, ${formatBytes(listing.total.bytes)} (${perKind})`);
      if (setAside.count > 0) out.line(setAsideLine(listing.dir, setAside));
      const diverged = damaged.filter(isDiverged);
      // A FAILED row makes the exit code 1, with or without --verify (an unreadable manifest fails without hashing).
      if (damaged.length > diverged.length) out.line(color.bad(`${plural(damaged.length - diverged.length, "checkpoint")} failed verification.`));
      if (!deep) out.line(color.dim("Files not hashed: run with --verify for a deep check."));
      else if (diverged.length > 0) out.line(color.warn(messages.verifyDiverged(diverged.length, listing.checkpoints.length)));
      return damaged.length > 0 ? 1 : 0;
    } finally {
      await store.close();
    }
  },
};

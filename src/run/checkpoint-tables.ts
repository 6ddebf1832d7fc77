/**
 * The checkpoint store's answers as tables for a notebook (HTML, markdown and plain text in one
 * bundle): `show(checkpointsTable(await store.list({ verify: true })))`.
 */
import type { CheckpointListing, ConfigDiff, DiskUsage, LoadedCheckpoint, PruneResult, VerifyResult } from "../checkpoint/store.js";
import { displayPath } from "./display-path.js";
import { formatBytes, formatCount, formatLoss } from "../shared/format.js";
import { tableBundle, type TableBundle } from "./table.js";

function json(value: unknown): string {
  if (value === undefined) return "(none)";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function when(iso: string | undefined): string {
  return iso === undefined ? "?" : iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** One row per checkpoint, oldest first, with every metric any of them has. */
export function checkpointsTable(listing: CheckpointListing, title = `Checkpoints in ${displayPath(listing.dir)}`): TableBundle {
  const metrics = [...new Set(listing.checkpoints.flatMap((c) => Object.keys(c.metrics)))].sort();
  const verified = listing.checkpoints.some((c) => c.verified !== undefined);
  const columns = ["checkpoint", "kind", "step", "epoch", ...metrics, "size", "created", ...(verified ? ["verified"] : [])];
  const rows = listing.checkpoints.map((c) => [
    c.name,
    c.kind,
    formatCount(c.step),
    c.epoch === undefined ? "?" : String(c.epoch),
    ...metrics.map((m) => (c.metrics[m] === undefined ? "" : formatLoss(c.metrics[m]))),
    formatBytes(c.bytes),
    when(c.created),
    ...(verified ? [c.verified === true ? "ok" : `DAMAGED: ${(c.problems ?? []).map((p) => p.message).join("; ")}`] : []),
  ]);
  const numeric = [2, 3, ...metrics.map((_, i) => 4 + i), 4 + metrics.length];
  return tableBundle({
    title,
    columns,
    rows,
    numeric,
    footer: `${formatCount(listing.total.count)} checkpoints · ${formatBytes(listing.total.bytes)}`,
  });
}

/** Space by checkpoint kind, uncommitted leftovers, and the total. */
export function diskUsageTable(du: DiskUsage, extra: readonly { readonly label: string; readonly count: number; readonly bytes: number }[] = []): TableBundle {
  const rows = Object.entries(du.kinds)
    .filter(([, t]) => t.count > 0)
    .map(([kind, t]) => [`${kind} checkpoints`, formatCount(t.count), formatBytes(t.bytes)]);
  if (du.temp.count > 0) rows.push(["uncommitted (.tmp-…)", formatCount(du.temp.count), formatBytes(du.temp.bytes)]);
  // Checkpoints a roll-back, a branch or a fresh start moved aside (kept until deleted by hand).
  if (du.setAside.count > 0) rows.push([`set aside (${du.setAside.names.join(", ")})`, formatCount(du.setAside.count), formatBytes(du.setAside.bytes)]);
  for (const e of extra) rows.push([e.label, formatCount(e.count), formatBytes(e.bytes)]);
  const total = du.total.bytes + extra.reduce((s, e) => s + e.bytes, 0);
  const count = du.total.count + extra.reduce((s, e) => s + e.count, 0);
  rows.push(["total", formatCount(count), formatBytes(total)]);
  return tableBundle({ title: `Disk usage of ${displayPath(du.dir)}`, columns: ["what", "count", "size"], rows, numeric: [1, 2] });
}

/** How a checkpoint's config differs from another config. */
export function configDiffTable(diff: ConfigDiff, from = "checkpoint", to = "now"): TableBundle {
  const rows = [
    ...diff.changed.map((c) => [c.path, json(c.old), json(c.new)]),
    ...diff.added.map((c) => [c.path, "(none)", json(c.value)]),
    ...diff.removed.map((c) => [c.path, json(c.value), "(none)"]),
  ];
  return tableBundle({
    title: diff.same ? "The configs are the same" : `Config changes (${rows.length})`,
    columns: ["setting", from, to],
    rows,
  });
}

/** What a prune keeps and deletes, and why. */
export function pruneTable(result: PruneResult): TableBundle {
  const rows = [
    ...result.keep.map((c) => [c.name, "keep", c.reasons.join("; ")]),
    ...result.delete.map((c) => [c.name, result.dryRun ? "would delete" : "deleted", c.reasons.join("; ")]),
  ].sort((a, b) => (a[0] ?? "").localeCompare(b[0] ?? ""));
  return tableBundle({
    title: result.dryRun ? "Prune plan (dry run: nothing deleted)" : `Pruned ${result.deleted.length} checkpoint(s)`,
    columns: ["checkpoint", "decision", "why"],
    rows,
  });
}

/** One checkpoint's header and tensors. */
export function inspectTable(loaded: LoadedCheckpoint): TableBundle {
  const rows: string[][] = [];
  for (const [group, tensors] of Object.entries(loaded.tensors)) {
    for (const [name, t] of Object.entries(tensors)) {
      rows.push([group, name, t.dtype, `[${t.shape.join(", ")}]`, formatCount(t.data.length)]);
    }
  }
  const metrics = Object.entries(loaded.metrics)
    .map(([k, v]) => `${k} ${formatLoss(v)}`)
    .join(" · ");
  return tableBundle({
    title: `${loaded.name}: ${loaded.kind} · step ${formatCount(loaded.step)} · epoch ${loaded.epoch}${metrics === "" ? "" : ` · ${metrics}`} · written ${when(loaded.created)} by nbresume ${loaded.state.nbresume}`,
    columns: ["group", "tensor", "dtype", "shape", "values"],
    rows,
    numeric: [4],
  });
}

/** The result of verifying checkpoints: every file's size and hash. */
export function verifyTable(results: readonly VerifyResult[]): TableBundle {
  return tableBundle({
    title: `Verified ${results.length} checkpoint(s): ${results.filter((r) => r.ok).length} intact`,
    columns: ["checkpoint", "result", "bytes read"],
    rows: results.map((r) => [r.name, r.ok ? "ok" : `DAMAGED: ${r.problems.map((p) => p.message).join("; ")}`, formatBytes(r.bytes)]),
    numeric: [2],
  });
}

/**
 * `nbresume du DIR`: bytes per kind, uncommitted leftovers, checkpoints set aside by a roll-back,
 * their total, the run's other files (pictures, graphs, record), the total of everything, and the
 * filesystem's figures as df shows them (object storage has none).
 */
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { CHECKPOINT_KINDS, parseCheckpointDirName } from "../../checkpoint/naming.js";
import { isUrlLocation } from "../../checkpoint/storage/location.js";
import type { CheckpointReader } from "../../checkpoint/store.js";
import { SET_ASIDE_PREFIX } from "../../run/set-aside.js";
import { formatBytes } from "../../shared/format.js";
import type { Command } from "../command.js";
import { cliMessages as messages } from "../messages.js";
import { formatTable } from "../table.js";
import { openRoot } from "../target.js";

/** df's Use%: used / (used + available), rounded up (the blocks reserved for root count as neither). */
export function dfUsePercent(used: number, available: number): number {
  const total = used + available;
  return total > 0 ? Math.ceil((used * 100) / total) : 0;
}

/** Bytes of the regular files under `dir`, at any depth; symlinks counted as themselves, never followed. */
async function treeBytes(dir: string): Promise<{ count: number; bytes: number }> {
  let count = 0;
  let bytes = 0;
  const pending = [dir];
  for (let at = pending.pop(); at !== undefined; at = pending.pop()) {
    for (const entry of await fsp.readdir(at, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else {
        count++;
        bytes += (await fsp.lstat(full).catch(() => undefined))?.size ?? 0;
      }
    }
  }
  return { count, bytes };
}

/**
 * Everything of the run's besides its checkpoints, leftovers and set-aside folders (which the
 * store counts): previews and sample grids, stored graphs, metrics.jsonl, loss.png, summary.json,
 * latest. In a bucket, the blobs at the top level and in graphs/.
 */
export async function runFilesUsage(store: CheckpointReader): Promise<{ count: number; bytes: number }> {
  if (isUrlLocation(store.dir)) {
    const blobs = [...(await store.blobs.list()), ...(await store.blobs.list("graphs").catch(() => []))];
    return { count: blobs.length, bytes: blobs.reduce((s, b) => s + b.bytes, 0) };
  }
  let count = 0;
  let bytes = 0;
  for (const entry of await fsp.readdir(store.dir, { withFileTypes: true })) {
    const name = entry.name;
    if (parseCheckpointDirName(name) || name.startsWith(".tmp-") || name.startsWith(SET_ASIDE_PREFIX)) continue;
    const full = path.join(store.dir, name);
    const part = entry.isDirectory() ? await treeBytes(full) : { count: 1, bytes: (await fsp.lstat(full).catch(() => undefined))?.size ?? 0 };
    count += part.count;
    bytes += part.bytes;
  }
  return { count, bytes };
}

export const duCommand: Command = {
  name: "du",
  summary: "disk usage per kind, temp leftovers, rolled-back folders, total, and the filesystem's use",
  args: "DIR",
  positionals: { min: 1, max: 1 },
  description:
    "Bytes used by the checkpoints in DIR per kind, by uncommitted .tmp-… leftovers of interrupted saves\n" +
    "(removed by the next writable open), by rolled-back-… folders (checkpoints a roll-back set aside: delete\n" +
    "a folder to free its space), and the total of all three; then the run's other files (previews and sample\n" +
    "grids, stored graphs, metrics.jsonl, loss.png, summary.json: counted as files, with their count) and the\n" +
    "total of everything in DIR (what `du -sb DIR` shows, less the directories' own entries). Then DIR's filesystem as df counts it: size,\n" +
    "used (size − free), available to an unprivileged writer (what the store's free-space check sees), and\n" +
    "Use% = used / (used + available), rounded up. DIR may be s3://bucket/prefix (no filesystem line).",
  options: [],
  json: true,
  examples: ["nbresume du runs/mnist", "nbresume du s3://my-bucket/runs/mnist"],

  async run({ positionals, json, out }) {
    const store = await openRoot(positionals[0] as string, "du");
    try {
      const du = await store.du();
      const runFiles = await runFilesUsage(store);
      const everything = { count: du.total.count + runFiles.count, bytes: du.total.bytes + runFiles.bytes };
      const fs = du.filesystem;
      const filesystem = fs === undefined ? null : { size: fs.size, used: fs.used, available: fs.available, usePercent: dfUsePercent(fs.used, fs.available) };
      if (json) {
        out.json({
          dir: du.dir,
          kinds: du.kinds,
          checkpoints: du.checkpoints,
          temp: du.temp,
          setAside: du.setAside,
          total: du.total,
          runFiles,
          everything,
          filesystem,
        });
        return 0;
      }
      const { color } = out;
      out.line(color.bold(`Disk usage of ${du.dir}`));
      const rows = CHECKPOINT_KINDS.map((k) => [k, String(du.kinds[k].count), formatBytes(du.kinds[k].bytes), ""]);
      rows.push(["checkpoints", String(du.checkpoints.count), formatBytes(du.checkpoints.bytes), ""]);
      rows.push(["temp leftovers", String(du.temp.count), formatBytes(du.temp.bytes), du.temp.count > 0 ? du.temp.names.join(", ") : ""]);
      rows.push(["rolled back", String(du.setAside.count), formatBytes(du.setAside.bytes), du.setAside.count > 0 ? du.setAside.names.join(", ") : ""]);
      rows.push([messages.duFolders(), String(du.total.count), formatBytes(du.total.bytes), ""]);
      rows.push([messages.duRunFiles(), String(runFiles.count), formatBytes(runFiles.bytes), ""]);
      rows.push([messages.duEverything(), String(everything.count), formatBytes(everything.bytes), ""]);
      out.lines(formatTable([{ header: "" }, { header: "COUNT", align: "right" }, { header: "SIZE", align: "right" }, { header: "" }], rows));
      if (du.setAside.count > 0) out.line(color.dim(messages.rolledBackHint()));
      out.line(
        filesystem === null
          ? messages.noFilesystem()
          : messages.filesystemLine(formatBytes(filesystem.size), formatBytes(filesystem.used), formatBytes(filesystem.available), filesystem.usePercent),
      );
      return 0;
    } finally {
      await store.close();
    }
  },
};

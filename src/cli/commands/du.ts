/**
 * `nbresume du DIR`: bytes per kind, uncommitted leftovers, checkpoints set aside by a roll-back,
 * the total, and the filesystem's figures as df shows them (object storage has none).
 */
import { CHECKPOINT_KINDS } from "../../checkpoint/naming.js";
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

export const duCommand: Command = {
  name: "du",
  summary: "disk usage per kind, temp leftovers, rolled-back folders, total, and the filesystem's use",
  args: "DIR",
  positionals: { min: 1, max: 1 },
  description:
    "Bytes used by the checkpoints in DIR per kind, by uncommitted .tmp-… leftovers of interrupted saves\n" +
    "(removed by the next writable open), by rolled-back-… folders (checkpoints a roll-back set aside: delete\n" +
    "a folder to free its space), and the total of all three. Then DIR's filesystem as df counts it: size,\n" +
    "used (size − free), available to an unprivileged writer (what the store's free-space check sees), and\n" +
    "Use% = used / (used + available), rounded up. DIR may be s3://bucket/prefix (no filesystem line).",
  options: [],
  json: true,
  examples: ["nbresume du runs/mnist", "nbresume du s3://my-bucket/runs/mnist"],

  async run({ positionals, json, out }) {
    const store = await openRoot(positionals[0] as string, "du");
    try {
      const du = await store.du();
      const fs = du.filesystem;
      const filesystem = fs === undefined ? null : { size: fs.size, used: fs.used, available: fs.available, usePercent: dfUsePercent(fs.used, fs.available) };
      if (json) {
        out.json({ dir: du.dir, kinds: du.kinds, checkpoints: du.checkpoints, temp: du.temp, setAside: du.setAside, total: du.total, filesystem });
        return 0;
      }
      const { color } = out;
      out.line(color.bold(`Disk usage of ${du.dir}`));
      const rows = CHECKPOINT_KINDS.map((k) => [k, String(du.kinds[k].count), formatBytes(du.kinds[k].bytes), ""]);
      rows.push(["checkpoints", String(du.checkpoints.count), formatBytes(du.checkpoints.bytes), ""]);
      rows.push(["temp leftovers", String(du.temp.count), formatBytes(du.temp.bytes), du.temp.count > 0 ? du.temp.names.join(", ") : ""]);
      rows.push(["rolled back", String(du.setAside.count), formatBytes(du.setAside.bytes), du.setAside.count > 0 ? du.setAside.names.join(", ") : ""]);
      rows.push(["total", String(du.total.count), formatBytes(du.total.bytes), ""]);
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

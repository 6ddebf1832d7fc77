/** `nbresume du DIR`: bytes per kind, uncommitted leftovers, total, and free space on the filesystem. */
import { promises as fsp } from "node:fs";
import { CHECKPOINT_KINDS } from "../../checkpoint/naming.js";
import { formatBytes } from "../../run/format.js";
import type { Command } from "../command.js";
import { formatTable } from "../table.js";
import { openRoot } from "../target.js";

export const duCommand: Command = {
  name: "du",
  summary: "disk usage per kind, temp leftovers, total, and free space",
  args: "DIR",
  positionals: { min: 1, max: 1 },
  description:
    "Bytes used by the checkpoints in DIR per kind, by uncommitted .tmp-… leftovers of interrupted saves\n" +
    "(removed by the next writable open), the total, and the free space on DIR's filesystem (what an\n" +
    "unprivileged writer may still use, as the store's free-space check sees it).",
  options: [],
  json: true,
  examples: ["nbresume du runs/mnist"],

  async run({ positionals, json, out }) {
    const store = await openRoot(positionals[0] as string, "du");
    try {
      const du = await store.du();
      const fs = await fsp.statfs(du.dir);
      const filesystem = { available: fs.bavail * fs.bsize, free: fs.bfree * fs.bsize, size: fs.blocks * fs.bsize };
      if (json) {
        out.json({ dir: du.dir, kinds: du.kinds, checkpoints: du.checkpoints, temp: du.temp, total: du.total, filesystem });
        return 0;
      }
      const { color } = out;
      out.line(color.bold(`Disk usage of ${du.dir}`));
      const rows = CHECKPOINT_KINDS.map((k) => [k, String(du.kinds[k].count), formatBytes(du.kinds[k].bytes), ""]);
      rows.push(["checkpoints", String(du.checkpoints.count), formatBytes(du.checkpoints.bytes), ""]);
      rows.push(["temp leftovers", String(du.temp.count), formatBytes(du.temp.bytes), du.temp.count > 0 ? du.temp.names.join(", ") : ""]);
      rows.push(["total", String(du.total.count), formatBytes(du.total.bytes), ""]);
      out.lines(formatTable([{ header: "" }, { header: "COUNT", align: "right" }, { header: "SIZE", align: "right" }, { header: "" }], rows));
      const used = filesystem.size > 0 ? ` (${Math.round(((filesystem.size - filesystem.free) / filesystem.size) * 100)}% used)` : "";
      out.line(`filesystem: ${formatBytes(filesystem.available)} available of ${formatBytes(filesystem.size)}${used}`);
      return 0;
    } finally {
      await store.close();
    }
  },
};

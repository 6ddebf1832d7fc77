/** `nbresume verify DIR|CKPT`: hash every file of one checkpoint or of all, and name each problem. */
import * as path from "node:path";
import { isUrlLocation } from "../../checkpoint/storage/location.js";
import type { CheckpointProblem, SkippedCheckpoint } from "../../checkpoint/store.js";
import { formatBytes } from "../../shared/format.js";
import type { Command } from "../command.js";
import { plural } from "../format.js";
import { messages } from "../messages.js";
import { formatTable } from "../table.js";
import { CHECKPOINT_OPTIONS, isCheckpointDir, noteSkipped, openCheckpoint, openRoot, parseMetricOption } from "../target.js";

interface Checked {
  name: string;
  path: string;
  kind: string;
  step: number;
  ok: boolean;
  /** Bytes of the checkpoint's files. */
  bytes: number;
  problems: CheckpointProblem[];
}

export const verifyCommand: Command = {
  name: "verify",
  summary: "deep-verify one checkpoint or every checkpoint in a directory",
  args: "DIR|CKPT",
  positionals: { min: 1, max: 1 },
  description:
    "Reads and hashes every file of the checkpoint CKPT, or of every checkpoint in the root DIR (or only the\n" +
    "one --ref names), and checks sizes, hashes, each safetensors file's format, the manifest and state.json\n" +
    "against each other. A checkpoint that is a symlink or holds anything but regular files fails (nothing is\n" +
    "followed), and so does one whose metrics are not finite (the run had diverged; a rerun passes over it).\n" +
    "Prints every problem with its file and what was expected vs found. With --ref, the ref is resolved as every\n" +
    "command and a rerun resolve it: a damaged candidate is reported and passed over, and the next one is verified.\n" +
    "DIR may be s3://bucket/prefix. Exits 1 if any checkpoint fails (or was passed over), or if there is none to verify.",
  options: CHECKPOINT_OPTIONS,
  json: true,
  examples: ["nbresume verify runs/mnist", "nbresume verify runs/mnist/ckpt-step-00012000-rolling", "nbresume verify runs/mnist --ref latest"],

  async run({ positionals, options, json, out }) {
    const arg = positionals[0] as string;
    const ref = options["ref"] as string | undefined;
    const bestMetric = parseMetricOption(options["metric"] as string | undefined, "verify");
    const single = ref !== undefined || (await isCheckpointDir(isUrlLocation(arg) ? arg : path.resolve(arg)));
    const checked: Checked[] = [];
    let skipped: SkippedCheckpoint[] = [];
    let dir: string;
    if (single) {
      const target = await openCheckpoint({ arg, ref, bestMetric, verified: false, command: "verify" });
      try {
        dir = target.store.dir;
        skipped = target.skipped;
        noteSkipped(out, target);
        const result = await target.store.verify(target.path);
        checked.push({
          name: result.name, path: result.path, kind: target.info?.kind ?? "?", step: target.info?.step ?? Number.NaN,
          ok: result.ok, bytes: target.info?.bytes ?? result.bytes, problems: result.problems,
        });
      } finally {
        await target.store.close();
      }
    } else {
      const store = await openRoot(arg, "verify");
      try {
        dir = store.dir;
        for (const c of (await store.list({ verify: true })).checkpoints) {
          checked.push({ name: c.name, path: c.path, kind: c.kind, step: c.step, ok: c.verified === true, bytes: c.bytes, problems: c.problems ?? [] });
        }
      } finally {
        await store.close();
      }
    }
    const failed = checked.filter((c) => !c.ok);
    const code = failed.length > 0 || checked.length === 0 || skipped.some((s) => s.problems.length > 0) ? 1 : 0;

    if (json) {
      out.json({
        dir,
        ok: code === 0,
        checkpoints: checked.map((c) => ({
          name: c.name, path: c.path, kind: c.kind, step: Number.isNaN(c.step) ? null : c.step, ok: c.ok, bytes: c.bytes,
          problems: c.problems.map((p) => ({ file: p.file, kind: p.kind, message: p.message, expected: p.expected ?? null, actual: p.actual ?? null })),
        })),
        skipped: skipped.map((s) => ({ name: s.name, path: s.path, problem: s.problem })),
      });
      return code;
    }
    const { color } = out;
    if (checked.length === 0) {
      out.line(messages.nothingToVerify(dir));
      return code;
    }
    const [header, ...lines] = formatTable(
      [{ header: "RESULT" }, { header: "NAME" }, { header: "SIZE", align: "right" }],
      checked.map((c) => [c.ok ? "ok" : "FAILED", c.name, formatBytes(c.bytes)]),
      { style: (text, row, col) => (col === 0 ? (checked[row]?.ok ? color.ok(text) : color.bad(text)) : text) },
    );
    out.line(color.bold(`Verifying ${plural(checked.length, "checkpoint")} in ${dir}`));
    out.line(header);
    checked.forEach((c, i) => {
      out.line(lines[i]);
      // Each message names its file and, for sizes and hashes, what was expected and what was found.
      for (const p of c.problems) out.line(color.bad(`      ✗ ${p.message}`));
    });
    out.line(failed.length === 0
      ? color.ok(`${plural(checked.length, "checkpoint")} verified, none failed.`)
      : color.bad(`${failed.length} of ${plural(checked.length, "checkpoint")} failed verification.`));
    return code;
  },
};

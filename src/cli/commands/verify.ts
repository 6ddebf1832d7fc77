/**
 * `nbresume verify DIR|CKPT`: hash every file of one checkpoint or of all, and name each problem.
 * A checkpoint whose files are intact but whose numbers are not (non-finite metrics, NaN/Inf in a
 * tensor: the run had diverged) is "diverged", not "FAILED": nothing to repair, just not to resume.
 * The store's verify() hashes the files and judges the metrics; the tensor values of a checkpoint
 * that passes are read once more (store.load()) and judged here, since a store may hold such values
 * on purpose and its verify() does not call them damage.
 */
import * as path from "node:path";
import { isUrlLocation } from "../../checkpoint/storage/location.js";
import type { CheckpointProblem, CheckpointReader, SkippedCheckpoint } from "../../checkpoint/store.js";
import { nonFiniteValues } from "../../checkpoint/verify.js";
import { formatBytes } from "../../shared/format.js";
import type { Command } from "../command.js";
import { plural } from "../format.js";
import { cliMessages as messages } from "../messages.js";
import type { Colors } from "../output.js";
import { formatTable } from "../table.js";
import { CHECKPOINT_OPTIONS, isCheckpointDir, noteSkipped, openCheckpoint, openRoot, parseMetricOption } from "../target.js";

/** ok; diverged: every problem is a "diverged" one (intact files, non-finite numbers); failed: damaged. */
export type VerifyStatus = "ok" | "diverged" | "failed";

export function verifyStatus(problems: readonly CheckpointProblem[]): VerifyStatus {
  if (problems.length === 0) return "ok";
  return problems.every((p) => p.kind === "diverged") ? "diverged" : "failed";
}

/**
 * What verification found, plus, for a checkpoint whose files are intact, its NaN/Inf tensor values
 * as "diverged" problems (read again: the hash pass keeps nothing). `unchecked`: why the values
 * could not be read (too large for this machine's memory, removed meanwhile).
 */
export async function withValueNotes(
  store: CheckpointReader,
  location: string,
  problems: CheckpointProblem[],
): Promise<{ problems: CheckpointProblem[]; unchecked?: string }> {
  if (problems.length > 0) return { problems };
  try {
    return { problems: nonFiniteValues((await store.load(location)).tensors) };
  } catch (error) {
    return { problems, unchecked: error instanceof Error ? error.message : String(error) };
  }
}

interface Checked {
  name: string;
  path: string;
  kind: string;
  step: number;
  ok: boolean;
  status: VerifyStatus;
  /** Bytes of the checkpoint's files. */
  bytes: number;
  problems: CheckpointProblem[];
  /** Why its tensor values were not judged, when they could not be read. */
  unchecked?: string;
}

async function judged(store: CheckpointReader, c: Omit<Checked, "ok" | "status">): Promise<Checked> {
  const { problems, unchecked } = await withValueNotes(store, c.path, c.problems);
  return { ...c, problems, ok: problems.length === 0, status: verifyStatus(problems), ...(unchecked === undefined ? {} : { unchecked }) };
}

const RESULT_TEXT: Readonly<Record<VerifyStatus, string>> = { ok: "ok", diverged: "DIVERGED", failed: "FAILED" };
const RESULT_COLOR: Readonly<Record<VerifyStatus, (c: Colors) => (text: string) => string>> = {
  ok: (c) => c.ok,
  diverged: (c) => c.warn,
  failed: (c) => c.bad,
};

export const verifyCommand: Command = {
  name: "verify",
  summary: "deep-verify one checkpoint or every checkpoint in a directory",
  args: "DIR|CKPT",
  positionals: { min: 1, max: 1 },
  description:
    "Reads and hashes every file of the checkpoint CKPT, or of every checkpoint in the root DIR (or only the\n" +
    "one --ref names), and checks sizes, hashes, each safetensors file's format, the manifest and state.json\n" +
    "against each other. A checkpoint that is a symlink or holds anything but regular files fails (nothing is\n" +
    "followed). One whose files are intact but whose metrics or tensor values are NaN or infinite is reported\n" +
    "DIVERGED (the run had diverged when it was saved: nothing to repair, but not one to resume).\n" +
    "Prints every problem with its file and what was expected vs found. With --ref, the ref is resolved as every\n" +
    "command and a rerun resolve it: a damaged candidate is reported and passed over, and the next one is verified.\n" +
    "DIR may be s3://bucket/prefix. Exits 1 if any checkpoint fails or diverged (or was passed over), or if there\n" +
    "is none to verify.",
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
        checked.push(
          await judged(target.store, {
            name: result.name,
            path: result.path,
            kind: target.info?.kind ?? "?",
            step: target.info?.step ?? Number.NaN,
            bytes: target.info?.bytes ?? result.bytes,
            problems: result.problems,
          }),
        );
      } finally {
        await target.store.close();
      }
    } else {
      const store = await openRoot(arg, "verify");
      try {
        dir = store.dir;
        for (const c of (await store.list({ verify: true })).checkpoints) {
          checked.push(await judged(store, { name: c.name, path: c.path, kind: c.kind, step: c.step, bytes: c.bytes, problems: c.problems ?? [] }));
        }
      } finally {
        await store.close();
      }
    }
    const failed = checked.filter((c) => !c.ok);
    const diverged = failed.filter((c) => c.status === "diverged");
    const code = failed.length > 0 || checked.length === 0 || skipped.some((s) => s.problems.length > 0) ? 1 : 0;

    if (json) {
      out.json({
        dir,
        ok: code === 0,
        checkpoints: checked.map((c) => ({
          name: c.name,
          path: c.path,
          kind: c.kind,
          step: Number.isNaN(c.step) ? null : c.step,
          ok: c.ok,
          status: c.status,
          bytes: c.bytes,
          problems: c.problems.map((p) => ({ file: p.file, kind: p.kind, message: p.message, expected: p.expected ?? null, actual: p.actual ?? null })),
          valuesUnchecked: c.unchecked ?? null,
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
      checked.map((c) => [RESULT_TEXT[c.status], c.name, formatBytes(c.bytes)]),
      { style: (text, row, col) => (col === 0 ? RESULT_COLOR[checked[row]?.status ?? "failed"](color)(text) : text) },
    );
    out.line(color.bold(`Verifying ${plural(checked.length, "checkpoint")} in ${dir}`));
    out.line(header);
    checked.forEach((c, i) => {
      out.line(lines[i]);
      // Each message names its file and, for sizes and hashes, what was expected and what was found.
      for (const p of c.problems) out.line(RESULT_COLOR[p.kind === "diverged" ? "diverged" : "failed"](color)(`      ✗ ${p.message}`));
      if (c.unchecked !== undefined) out.line(color.dim(`      ${messages.valuesUnchecked(c.unchecked)}`));
    });
    const damaged = failed.length - diverged.length;
    if (failed.length === 0) out.line(color.ok(`${plural(checked.length, "checkpoint")} verified, none failed.`));
    else if (damaged > 0) out.line(color.bad(`${damaged} of ${plural(checked.length, "checkpoint")} failed verification.`));
    if (diverged.length > 0) out.line(color.warn(messages.verifyDiverged(diverged.length, checked.length)));
    return code;
  },
};

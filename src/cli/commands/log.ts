/**
 * `nbresume log DIR [--json | --csv] [--plot FILE.png]`: the run's record, metrics.jsonl — one
 * line per step (loss, smoothed loss, lr, gradient norm, time, validation metrics) — as a table
 * of evenly spaced steps with the smoothed loss drawn as a line of bars, every line as one JSON
 * document or as CSV, or the loss chart as a PNG; and how the last train() ended (summary.json).
 * DIR may be s3://bucket/prefix: both files are read as blobs of the run's storage.
 */
import * as path from "node:path";
import { baseName } from "../../checkpoint/storage/location.js";
import type { BlobStore } from "../../checkpoint/storage/storage.js";
import { NbresumeError } from "../../errors.js";
import { formatCount, formatLoss } from "../../shared/format.js";
import { METRICS_FILE, parseMetrics, type MetricsLine } from "../../run/metrics-log.js";
import { SUMMARY_FILE } from "../../run/run-record.js";
import { LOSS_SMOOTHING } from "../../run/smoothed-loss.js";
import { countOption, stringOption } from "../args.js";
import type { Command } from "../command.js";
import { CliErrorCode, cliMessages as messages } from "../messages.js";
import { formatTable } from "../table.js";
import { openRoot } from "../target.js";
import { UsageError } from "../usage-error.js";

const BARS = "▁▂▃▄▅▆▇█";
/** metrics.jsonl is read whole: ~150 bytes a step, so this is millions of steps. */
const MAX_METRICS_BYTES = 1024 * 1024 * 1024;
const MAX_SUMMARY_BYTES = 16 * 1024 * 1024;

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === "ENOENT";
}

/** The run's metrics.jsonl and summary.json (undefined when it has none, or it cannot be parsed). */
async function readRecord(blobs: BlobStore, dir: string): Promise<{ bytes: Uint8Array; summary: Record<string, unknown> | undefined }> {
  const bytes = await blobs.get(METRICS_FILE, MAX_METRICS_BYTES).catch((error: unknown) => {
    if (isMissing(error)) throw new NbresumeError(CliErrorCode.NO_METRICS, messages.noMetrics(dir), { where: dir });
    throw error;
  });
  const summary = await blobs.get(SUMMARY_FILE, MAX_SUMMARY_BYTES).then(
    (b) => JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>,
    () => undefined,
  );
  return { bytes, summary };
}

/** The values as a line of bars, `width` wide (each bar a bucket's mean). */
export function sparkline(values: readonly number[], width: number): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return "";
  const n = Math.min(width, values.length);
  const means: number[] = [];
  for (let b = 0; b < n; b++) {
    const bucket = values.slice(Math.floor((b * values.length) / n), Math.floor(((b + 1) * values.length) / n)).filter(Number.isFinite);
    means.push(bucket.length === 0 ? Number.NaN : bucket.reduce((s, v) => s + v, 0) / bucket.length);
  }
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return means.map((m) => (Number.isFinite(m) ? BARS[hi === lo ? 0 : Math.min(7, Math.floor(((m - lo) / (hi - lo)) * 8))] : " ")).join("");
}

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return "";
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Every column that appears, in the order it first appears. */
function columnsOf(lines: readonly MetricsLine[]): string[] {
  const seen = new Set<string>();
  for (const l of lines) for (const k of Object.keys(l)) seen.add(k);
  return [...seen];
}

function cell(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? formatCount(v) : formatLoss(v);
  if (v === null) return "NaN";
  return v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
}

/** Whether a higher value of a validation metric is better: the run's record says for its best metric, the name for the others. */
function higherIsBetter(metric: string, summary: Record<string, unknown> | undefined): boolean {
  const best = summary?.["best"];
  if (typeof best === "object" && best !== null && (best as Record<string, unknown>)["metric"] === metric) {
    return (best as Record<string, unknown>)["mode"] === "max";
  }
  return /acc|auc|f1|precision|recall|score|iou|map$/i.test(metric);
}

/** The line index of each validation metric's best value (the first such line), with the metrics it is best for. */
export function bestRows(lines: readonly MetricsLine[], summary?: Record<string, unknown>): Map<number, string[]> {
  const at = new Map<number, string[]>();
  const metrics = columnsOf(lines).filter((c) => c.startsWith("val_"));
  for (const metric of metrics) {
    const sign = higherIsBetter(metric, summary) ? -1 : 1;
    let index: number | undefined;
    lines.forEach((l, i) => {
      const v = l[metric];
      if (typeof v !== "number" || !Number.isFinite(v)) return;
      if (index === undefined || sign * v < sign * (lines[index]![metric] as number)) index = i;
    });
    if (index !== undefined) at.set(index, [...(at.get(index) ?? []), metric]);
  }
  return at;
}

export const logCommand: Command = {
  name: "log",
  summary: "the run's metrics.jsonl: a table of steps, the smoothed loss as bars, CSV, JSON or the chart",
  args: "DIR",
  positionals: { min: 1, max: 1 },
  description:
    "Reads DIR/metrics.jsonl, the record a run keeps beside its checkpoints (one line per step: loss, smoothed\n" +
    "loss, learning rate, gradient norm, time, validation metrics on the steps that evaluated; never pruned),\n" +
    "and DIR/summary.json (how the last train() ended). Prints --rows evenly spaced steps (default 12, the\n" +
    "first and last included), plus the step of each validation metric's best value (marked: lowest val_loss,\n" +
    "highest val_accuracy), and the smoothed loss as a line of bars; --csv prints\n" +
    "every line as CSV (a column per field), --json as one JSON document; --plot FILE.png draws the loss\n" +
    "chart the run draws (loss.png) from every step. Exits 1 when DIR has no metrics.jsonl.",
  options: [
    { name: "csv", type: "boolean", description: "every line as CSV on stdout" },
    { name: "rows", type: "string", value: "N", description: "steps shown in the table (default 12)" },
    { name: "plot", type: "string", value: "FILE.png", description: "write the loss chart to FILE.png" },
  ],
  json: true,
  examples: ["nbresume log runs/mnist", "nbresume log runs/mnist --csv > metrics.csv", "nbresume log runs/mnist --plot loss.png"],

  async run({ positionals, options, json, out }) {
    if (json && options["csv"] === true) throw new UsageError("--json and --csv are two formats: give one.", "log");
    const rows = countOption(options, "rows", "log") ?? 12;
    const store = await openRoot(positionals[0] as string, "log");
    const dir = store.dir;
    let record: Awaited<ReturnType<typeof readRecord>>;
    try {
      record = await readRecord(store.blobs, dir);
    } finally {
      await store.close();
    }
    const { bytes, summary } = record;
    const parsed = parseMetrics(bytes);
    const lines = parsed.lines;

    const plot = stringOption(options, "plot");
    if (plot !== undefined) {
      const { renderLossChart } = await import("../../render/loss-chart.js");
      const { writeFile } = await import("node:fs/promises");
      const loss = (l: MetricsLine): number => (typeof l["loss"] === "number" ? l["loss"] : Number.NaN);
      const chart = await renderLossChart({
        train: lines.map((l) => ({ step: l["step"] as number, loss: loss(l) })),
        validation: lines
          .filter((l) => "val_loss" in l)
          .map((l) => ({ step: l["step"] as number, loss: typeof l["val_loss"] === "number" ? l["val_loss"] : Number.NaN })),
        smoothing: LOSS_SMOOTHING,
        title: `${baseName(dir)} · loss`,
      });
      await writeFile(path.resolve(plot), chart.bundle["image/png"]);
      out.note(messages.logPlotted(path.resolve(plot)));
    }

    if (json) {
      out.json({ dir, steps: lines.length, torn: parsed.torn, lines, summary: summary ?? null });
      return 0;
    }
    if (options["csv"] === true) {
      const columns = columnsOf(lines);
      out.line(columns.join(","));
      out.lines(lines.map((l) => columns.map((c) => csvCell(l[c])).join(",")));
      return 0;
    }

    const evaluations = lines.filter((l) => Object.keys(l).some((k) => k.startsWith("val_")));
    out.line(
      out.color.bold(
        messages.logHeader(dir, lines.length, lines[0]?.["step"] as number | undefined, lines.at(-1)?.["step"] as number | undefined, evaluations.length),
      ),
    );
    if (parsed.torn) out.note(messages.logTorn());
    if (lines.length > 0) {
      const n = Math.min(rows, lines.length);
      const picked = new Set<number>();
      for (let i = 0; i < n; i++) picked.add(Math.round((i * (lines.length - 1)) / Math.max(1, n - 1)));
      const best = bestRows(lines, summary);
      for (const i of best.keys()) picked.add(i);
      const order = [...picked].sort((a, b) => a - b);
      const shown = order.map((i) => lines[i]!);
      const columns = columnsOf(shown).filter((c) => c !== "time");
      const marks = best.size > 0;
      out.lines(
        formatTable(
          [
            ...columns.map((c) => ({ header: c.toUpperCase(), align: c === "skipped" ? ("left" as const) : ("right" as const) })),
            ...(marks ? [{ header: "" }] : []),
          ],
          order.map((i) => [...columns.map((c) => cell(lines[i]![c])), ...(marks ? [messages.logBest(best.get(i) ?? [])] : [])]),
        ),
      );
      const smoothed = lines.map((l) => (typeof l["smoothed_loss"] === "number" ? l["smoothed_loss"] : typeof l["loss"] === "number" ? l["loss"] : Number.NaN));
      out.line(`smoothed loss  ${sparkline(smoothed, 60)}  ${formatLoss(smoothed[0] ?? Number.NaN)} → ${formatLoss(smoothed.at(-1) ?? Number.NaN)}`);
    }
    if (summary !== undefined)
      out.line(messages.logSummary(String(summary["status"]), String(summary["stoppedBecause"]), Number(summary["step"]), Number(summary["steps"])));
    return 0;
  },
};

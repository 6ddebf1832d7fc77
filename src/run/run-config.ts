/**
 * The run's configuration as recorded in every checkpoint (state.config), and how a change
 * between the checkpoint's and the current one is judged on resume:
 *
 *   unsafe            model.*, data.*, dataset.*, batchSize, seed, optimizer.name — the weights,
 *                     data order or optimizer state would not belong to this run: refused unless
 *                     allowConfigChange is set
 *   changes-training  other optimizer.*, schedule.*, clipGradNorm, config.* (yours) — allowed and
 *                     shown: the run continues, differently from an uninterrupted one
 *   harmless          steps, checkpointEvery, evalEvery, keep, ema, earlyStopping, initFrom, … —
 *                     allowed and shown; and a section the checkpoint does not record at all (an
 *                     older version wrote it)
 *
 * `dataset` describes the data without holding it (datasetRecord: columns, info with the file's
 * hash, a split's parent and a hash of its rows), so another file, other columns or another split
 * is caught on resume.
 *
 * `keep` is the retention policy with the store's defaults filled in: the store keeps no policy on
 * disk, so this is what `nbresume prune DIR` without flags follows (cli/policy.ts reads config.keep).
 */
import { resolveRetentionPolicy } from "../checkpoint/retention.js";
import type { ConfigDiff } from "../checkpoint/store.js";
import { datasetRecord } from "../engine/data/dataset-record.js";
import type { JsonObject, JsonValue } from "../engine/nn/json.js";
import type { ChangeSeverity } from "./messages.js";
import type { ResolvedOptions } from "./options.js";

export function runConfig(o: ResolvedOptions): JsonObject {
  const keep = resolveRetentionPolicy(o.keep);
  const config: Record<string, JsonValue> = {
    model: o.model.config,
    data: { train: o.train.name, trainCount: o.train.count, test: o.test?.name ?? null, testCount: o.test?.count ?? null },
    dataset: { train: datasetRecord(o.train), test: o.test === undefined ? null : datasetRecord(o.test) },
    batchSize: o.batchSize,
    seed: o.seed,
    optimizer: o.optimizer.config,
    schedule: o.schedule.config,
    clipGradNorm: o.clipGradNorm ?? null,
    steps: o.steps,
    checkpointEvery: o.checkpointEvery ?? null,
    evalEvery: o.evalEvery ?? null,
    evalBatches: o.evalBatches,
    epochCheckpoints: o.epochEvery === undefined ? false : o.epochEvery === 1 ? true : { every: o.epochEvery },
    bestMetric: { name: o.bestMetric.name, mode: o.bestMetric.mode },
    keep: { rolling: keep.rolling, emergency: keep.emergency, best: keep.best, epoch: keep.epoch === "all" ? "all" : { every: keep.epoch.every } },
    preview: o.preview === undefined ? null : { samples: o.preview.samples ?? null, samplerSteps: o.preview.samplerSteps ?? null, eta: o.preview.eta ?? null },
  };
  // Recorded only when set, so a run without them keeps the config older checkpoints recorded.
  if (o.checkpointMinutes !== undefined) config.checkpointMinutes = o.checkpointMinutes;
  if (o.ema !== undefined) config.ema = { decay: o.ema.decay };
  if (o.earlyStopping !== undefined) config.earlyStopping = { ...o.earlyStopping };
  if (o.onNonFinite !== "stop") config.onNonFinite = o.onNonFinite;
  if (o.initFrom !== undefined) config.initFrom = { path: o.initFrom.path, strict: o.initFrom.strict };
  if (o.userConfig !== undefined) config.config = o.userConfig;
  return config;
}

export interface JudgedChange {
  readonly path: string;
  readonly old: unknown;
  readonly new: unknown;
  readonly severity: ChangeSeverity;
}

function first(path: string): string {
  return /^[^.[]+/.exec(path)?.[0] ?? path;
}

export function severityOf(path: string): ChangeSeverity {
  const head = first(path);
  if (head === "model" || head === "data" || head === "dataset" || head === "batchSize" || head === "seed" || path === "optimizer.name" || path === "(root)")
    return "unsafe";
  if (head === "optimizer" || head === "schedule" || head === "clipGradNorm" || head === "config") return "changes-training";
  return "harmless";
}

/**
 * Every change, judged; unsafe ones first. With the checkpoint's config (`old`), a section it
 * does not record at all is harmless: an older version wrote it, there is nothing to compare.
 */
export function judgeConfigDiff(diff: ConfigDiff, old?: JsonObject): JudgedChange[] {
  const unrecorded = (path: string): boolean => old !== undefined && !Object.hasOwn(old, first(path));
  const changes: JudgedChange[] = [
    ...diff.changed.map((c) => ({ path: c.path, old: c.old, new: c.new })),
    ...diff.added.map((c) => ({ path: c.path, old: undefined, new: c.value })),
    ...diff.removed.map((c) => ({ path: c.path, old: c.value, new: undefined })),
  ].map((c) => ({ ...c, severity: c.old === undefined && unrecorded(c.path) ? ("harmless" as const) : severityOf(c.path) }));
  const rank: Record<ChangeSeverity, number> = { unsafe: 0, "changes-training": 1, harmless: 2 };
  return changes.sort((a, b) => rank[a.severity] - rank[b.severity]);
}

function short(value: unknown): string {
  if (value === undefined) return "(none)";
  const text = JSON.stringify(value);
  return text.length > 48 ? `${text.slice(0, 45)}…` : text;
}

/** Rows of the "config changes" table: path, old → new, severity. */
export function changeRows(changes: readonly JudgedChange[], label: (s: ChangeSeverity) => string): [string, string][] {
  return changes.map((c) => [c.path, `${short(c.old)} → ${short(c.new)} (${label(c.severity)})`]);
}

/** Rows of the config table: one per leaf, arrays inline ("model.unet.widths", "[16,32]"). */
export function configRows(config: JsonObject): [string, string][] {
  const rows: [string, string][] = [];
  const walk = (value: JsonValue, at: string): void => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value as JsonObject)) walk(v, at === "" ? k : `${at}.${k}`);
      return;
    }
    rows.push([at, JSON.stringify(value)]);
  };
  walk(config, "");
  return rows;
}

/** Whether `changes` leave the run the same one: nothing but harmless settings (steps, saving, retention…) changed. */
export function sameRun(changes: readonly JudgedChange[]): boolean {
  return changes.every((c) => c.severity === "harmless");
}

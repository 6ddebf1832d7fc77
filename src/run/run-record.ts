/**
 * The run's record beside its checkpoints, besides metrics.jsonl (metrics-log.ts):
 *
 *   DIR/loss.png       the loss chart, redrawn at each checkpoint — the same chart the notebook's
 *                      live view shows, from every step's loss when metrics.jsonl has them all
 *   DIR/summary.json   how the last train() ended: status, steps, why it stopped, losses, best
 *                      metric, checkpoints, time — written at the end of every train(), except
 *                      a rerun that finds the run already finished: that one keeps the record
 *                      of the train() that finished it
 *
 * Both are written atomically (a reader sees the old file or the new one) and, like previews,
 * not fsync'd: each is redrawn from the checkpoints and metrics.jsonl the next time.
 */
import type { LossPoint } from "../render/loss-chart-spec.js";
import type { LossHistory } from "./loss-history.js";
import type { MetricsLog } from "./metrics-log.js";
import { withRunBlobs, writeRunFile } from "./run-files.js";
import type { CheckpointRecord, RunStopReason, TrainResult, TrainStatus } from "./run.js";
import type { RunBook } from "./run-book.js";
import { LOSS_SMOOTHING } from "./smoothed-loss.js";

export const LOSS_CHART_FILE = "loss.png";
export const SUMMARY_FILE = "summary.json";

export interface ChartData {
  readonly train: LossPoint[];
  readonly validation: LossPoint[];
  /** The chart's EMA weight: the run's one smoothed loss (smoothed-loss.ts). */
  readonly smoothing: number;
}

/**
 * What the loss chart draws: every step's loss when the record has them all from step 1 (then its
 * smoothed line is bitwise the run's smoothed loss), else the checkpoint's compact history.
 */
export function chartData(log: MetricsLog | undefined, history: LossHistory): ChartData {
  const { train, validation } = history.points();
  const losses = log?.stepLosses();
  if (losses === undefined) return { train, validation, smoothing: LOSS_SMOOTHING };
  return { train: losses.map((loss, i) => ({ step: i + 1, loss })), validation, smoothing: LOSS_SMOOTHING };
}

/** Renders the loss chart to DIR/loss.png; returns the file. */
export async function writeLossChart(dir: string, data: ChartData, title: string): Promise<string> {
  const { renderLossChart } = await import("../render/loss-chart.js");
  const chart = await renderLossChart({ ...data, title });
  return writeRunFile(dir, LOSS_CHART_FILE, chart.bundle["image/png"]);
}

export interface RunSummary {
  readonly status: TrainStatus;
  /** Why training ended, in a sentence. */
  readonly stoppedBecause: string;
  /** What stopped an interrupted run (a signal, "superseded", "aborted"); null otherwise. A supervisor reads it. */
  readonly stopReason: RunStopReason | null;
  readonly step: number;
  readonly startStep: number;
  readonly steps: number;
  readonly loss: number | null;
  readonly validation: Readonly<Record<string, number | null>> | null;
  readonly best: { readonly metric: string; readonly value: number | null; readonly step: number } | null;
  readonly resumedFrom: CheckpointRecord | null;
  readonly checkpoint: CheckpointRecord | null;
  readonly earlyStopping: {
    readonly metric: string;
    readonly best: number | null;
    readonly bestStep: number | null;
    readonly evaluationsWithoutImprovement: number;
  } | null;
  readonly skippedSteps: number;
  readonly ema: { readonly decay: number; readonly updates: number } | null;
  /** ISO times of this train(). */
  readonly started: string;
  readonly ended: string;
  /** Training time of the whole run, over every train() (seconds). */
  readonly trainedSeconds: number;
}

/** The summary of a train() that ended with `result`, from the run's book (undefined: it never got that far). */
export function summaryOf(result: TrainResult, book: RunBook | undefined, started: string): RunSummary {
  const es = book?.earlyStopping;
  return {
    status: result.status,
    stoppedBecause: result.stoppedBecause,
    stopReason: result.stopReason ?? null,
    step: result.step,
    startStep: result.startStep,
    steps: result.steps,
    loss: result.loss ?? null,
    validation: result.validation ?? null,
    best: book?.best == null ? null : { metric: book.best.metric, value: book.best.value, step: book.best.step },
    resumedFrom: result.resumedFrom ?? null,
    checkpoint: result.checkpoint ?? null,
    earlyStopping:
      es === undefined
        ? null
        : { metric: es.options.metric, best: es.current.best, bestStep: es.current.bestStep, evaluationsWithoutImprovement: es.current.bad },
    skippedSteps: book?.guard.current.skipped ?? 0,
    ema: book?.ema === undefined ? null : book.ema.toJSON(),
    started,
    ended: new Date().toISOString(),
    trainedSeconds: (book?.clock.totalMs ?? 0) / 1000,
  };
}

/** Whether DIR has a summary.json (a bucket's run too). */
export async function hasSummary(dir: string): Promise<boolean> {
  const blobs = await withRunBlobs(dir, (b) => b.list()).catch(() => []);
  return blobs.some((b) => b.name === SUMMARY_FILE);
}

export async function writeSummary(dir: string, summary: RunSummary): Promise<string> {
  const text = JSON.stringify(summary, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2);
  return writeRunFile(dir, SUMMARY_FILE, new TextEncoder().encode(`${text}\n`));
}

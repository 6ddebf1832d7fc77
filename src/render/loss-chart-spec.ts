/**
 * The loss chart as a vega-lite specification: raw training loss (light), its bias-corrected EMA
 * (dark), validation loss (points and line). Pure data: no vega import, so a notebook can also
 * send the spec itself (application/vnd.vegalite.v5+json) for an interactive chart.
 */
import { formatCount, formatLoss } from "../shared/format.js";
import { emaSeries } from "../shared/ema.js";
import { renderMessages } from "./messages.js";
import { plotConfig } from "./plot-spec-base.js";
import type { JsonValue, VegaLiteSpec } from "./vega-lite-spec.js";

export interface LossPoint {
  readonly step: number;
  readonly loss: number;
}

export interface LossChartSpecOptions {
  readonly train: readonly LossPoint[];
  readonly validation?: readonly LossPoint[];
  /** EMA weight β in [0, 1) for the smoothed line; default autoSmoothing(number of points). */
  readonly smoothing?: number;
  readonly title?: string;
  /** Size of the whole chart in pixels, axes and legend included. Default 640×300. */
  readonly width?: number;
  readonly height?: number;
  /** "auto" (default): logarithmic when the positive losses span more than two decades. */
  readonly yScale?: "auto" | "linear" | "log";
  /** Most points drawn per line; longer series are thinned (the raw line keeps each bucket's min and max). Default 800. */
  readonly maxPoints?: number;
}

export interface LossChartSpec {
  readonly spec: VegaLiteSpec;
  readonly width: number;
  readonly height: number;
  readonly yScale: "linear" | "log";
  /** The EMA weight used for the smoothed line. */
  readonly smoothing: number;
  /** One-paragraph text stand-in for the chart (text/plain), with any notes. */
  readonly summary: string;
}

/** The chart's series names (legend entries) and colors. */
export const LOSS_CHART_SERIES = {
  train: { name: "train", color: "#a9c5e6" },
  smoothed: { name: "train (smoothed)", color: "#1d5aa6" },
  validation: { name: "validation", color: "#e4570f" },
} as const;

/** 800 points is more than one per pixel column of the default plot area; more only slows vega. */
export const LOSS_CHART_DEFAULTS = { width: 640, height: 300, maxPoints: 800 } as const;

/**
 * A smoothing weight that gives a readable line for `points` values: an EMA window of about
 * 1% of the series (β = 1 − 1/window), between 0.6 (few points) and 0.98. A longer window looked
 * smoother but visibly lagged the fast early drop of a typical loss curve.
 */
export function autoSmoothing(points: number): number {
  const window = Math.max(2.5, points / 100);
  return Math.min(0.98, Math.max(0.6, 1 - 1 / window));
}

interface CleanSeries {
  readonly steps: number[];
  readonly losses: number[];
  readonly omitted: number;
}

function clean(name: string, points: readonly LossPoint[], positiveOnly: boolean): CleanSeries {
  const rows: LossPoint[] = [];
  let omitted = 0;
  points.forEach((p, i) => {
    if (p === null || typeof p !== "object" || typeof p.step !== "number" || !Number.isFinite(p.step) || typeof p.loss !== "number") {
      throw new TypeError(renderMessages.chartBadPoint(name, i, p));
    }
    if (!Number.isFinite(p.loss) || (positiveOnly && p.loss <= 0)) omitted++;
    else rows.push(p);
  });
  // Histories are appended in step order; sort only if one is not (stable, so ties keep order).
  if (rows.some((p, i) => i > 0 && p.step < (rows[i - 1]?.step ?? -Infinity))) rows.sort((a, b) => a.step - b.step);
  return { steps: rows.map((p) => p.step), losses: rows.map((p) => p.loss), omitted };
}

/** Every k-th point plus the last one, for lines that are already smooth. */
function stride(steps: number[], losses: number[], maxPoints: number): LossPoint[] {
  const k = Math.max(1, Math.ceil(steps.length / maxPoints));
  const out: LossPoint[] = [];
  for (let i = 0; i < steps.length; i += k) out.push({ step: steps[i] ?? 0, loss: losses[i] ?? 0 });
  const last = steps.length - 1;
  if (last >= 0 && last % k !== 0) out.push({ step: steps[last] ?? 0, loss: losses[last] ?? 0 });
  return out;
}

/** The min and max of each bucket in step order, so thinning a noisy line keeps its spikes. */
function minMax(steps: number[], losses: number[], maxPoints: number): LossPoint[] {
  if (steps.length <= maxPoints) return steps.map((step, i) => ({ step, loss: losses[i] ?? 0 }));
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const size = steps.length / buckets;
  const out: LossPoint[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(steps.length, Math.floor((b + 1) * size));
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if ((losses[i] ?? 0) < (losses[lo] ?? 0)) lo = i;
      if ((losses[i] ?? 0) > (losses[hi] ?? 0)) hi = i;
    }
    for (const i of lo === hi ? [lo] : lo < hi ? [lo, hi] : [hi, lo]) out.push({ step: steps[i] ?? 0, loss: losses[i] ?? 0 });
  }
  return out;
}

function checkSize(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 120 || value > 4096) {
    throw new RangeError(renderMessages.chartBadOption(name, value, "an integer number of pixels from 120 to 4096"));
  }
}

function decidesLog(option: LossChartSpecOptions["yScale"], losses: readonly number[]): boolean {
  if (option === "log") return true;
  if (option === "linear") return false;
  if (losses.length < 2 || losses.some((l) => l <= 0)) return false;
  let min = Infinity;
  let max = -Infinity;
  for (const l of losses) {
    if (l < min) min = l;
    if (l > max) max = l;
  }
  return max / min > 100;
}

/** A domain for a degenerate series (empty, or a single distinct value), else undefined (vega decides). */
function spanAround(values: readonly number[], around: (v: number) => [number, number]): JsonValue | undefined {
  const first = values[0];
  if (first === undefined || values.some((v) => v !== first)) return undefined;
  return around(first);
}

const rows = (points: readonly LossPoint[], series: string): JsonValue[] => points.map((p) => ({ step: p.step, loss: p.loss, series }));

/** Builds the vega-lite spec for a loss chart (see renderLossChart for the PNG). */
export function buildLossChartSpec(options: LossChartSpecOptions): LossChartSpec {
  const width = options.width ?? LOSS_CHART_DEFAULTS.width;
  const height = options.height ?? LOSS_CHART_DEFAULTS.height;
  checkSize("width", width);
  checkSize("height", height);
  const maxPoints = options.maxPoints ?? LOSS_CHART_DEFAULTS.maxPoints;
  if (!Number.isInteger(maxPoints) || maxPoints < 10) {
    throw new RangeError(renderMessages.chartBadOption("maxPoints", maxPoints, "an integer of at least 10"));
  }
  const yOption = options.yScale ?? "auto";
  if (yOption !== "auto" && yOption !== "linear" && yOption !== "log") {
    throw new RangeError(renderMessages.chartBadOption("yScale", yOption, '"auto", "linear" or "log"'));
  }
  if (!Array.isArray(options.train)) throw new TypeError(renderMessages.chartBadOption("train", options.train, "an array of { step, loss }"));

  const forcedLog = yOption === "log";
  const train = clean("train", options.train, forcedLog);
  const validation = clean("validation", options.validation ?? [], forcedLog);
  const log = decidesLog(yOption, [...train.losses, ...validation.losses]);

  const smoothing = options.smoothing ?? autoSmoothing(train.losses.length);
  if (!(smoothing >= 0 && smoothing < 1)) {
    throw new RangeError(renderMessages.chartBadOption("smoothing", smoothing, "a number in [0, 1)"));
  }
  const smoothed = emaSeries(train.losses, smoothing);

  const S = LOSS_CHART_SERIES;
  const layers: JsonValue[] = [];
  const present: string[] = [];
  const colors: string[] = [];
  const allSteps = [...train.steps, ...validation.steps];
  const allLosses = [...train.losses, ...validation.losses];
  // One step or one loss value leaves vega an empty domain (axis labels like "2.310000"):
  // give it a span around the value instead.
  const xDomain = spanAround(allSteps, (v) => [Math.max(0, v - 1), v + 1]);
  const yDomain = spanAround(allLosses, (v) => (log || v > 0 ? [v / 2, v * 1.5] : [v - 1, v + 1]));
  const x = {
    field: "step",
    type: "quantitative",
    title: "step",
    scale: { zero: false, nice: true, ...(xDomain && { domain: xDomain }) },
    axis: { format: ",~d", labelFlush: false, tickMinStep: 1 },
  };
  const yScale: Record<string, JsonValue> = log ? { type: "log" } : { type: "linear", zero: false };
  if (yDomain) yScale["domain"] = yDomain;
  const y = { field: "loss", type: "quantitative", title: "loss", scale: yScale, ...(!log && { axis: { format: "~g" } }) };
  const lineLayer = (points: readonly LossPoint[], series: string, mark: JsonValue): void => {
    layers.push({ data: { values: rows(points, series) }, mark, encoding: { x, y, color: { field: "series", type: "nominal" } } });
  };
  if (train.losses.length > 0) {
    present.push(S.train.name, S.smoothed.name);
    colors.push(S.train.color, S.smoothed.color);
    lineLayer(minMax(train.steps, train.losses, maxPoints), S.train.name, { type: "line", strokeWidth: 1, clip: true });
    // A single point is no line: mark it so the first step after a fresh start is visible.
    const smoothedMark: Record<string, JsonValue> = { type: "line", strokeWidth: 2.25, clip: true };
    if (train.losses.length === 1) smoothedMark["point"] = { filled: true, size: 40 };
    lineLayer(stride(train.steps, smoothed, maxPoints), S.smoothed.name, smoothedMark);
  }
  if (validation.losses.length > 0) {
    present.push(S.validation.name);
    colors.push(S.validation.color);
    lineLayer(stride(validation.steps, validation.losses, maxPoints), S.validation.name, {
      type: "line",
      strokeWidth: 1.75,
      clip: true,
      point: { filled: true, size: 30 },
    });
  }

  const lastTrain = train.losses.length - 1;
  const lastValidation = validation.losses.length - 1;
  const subtitleParts: string[] = [];
  if (lastTrain >= 0) {
    subtitleParts.push(`step ${formatCount(train.steps[lastTrain] ?? 0)}`);
    subtitleParts.push(`train ${formatLoss(train.losses[lastTrain])} (smoothed ${formatLoss(smoothed[lastTrain])})`);
  }
  if (lastValidation >= 0) subtitleParts.push(`validation ${formatLoss(validation.losses[lastValidation])}`);
  if (log) subtitleParts.push("log scale");

  const notes: string[] = [];
  if (train.omitted > 0) notes.push(renderMessages.chartNonFinite("train", train.omitted));
  if (validation.omitted > 0) notes.push(renderMessages.chartNonFinite("validation", validation.omitted));

  let body: Record<string, JsonValue>;
  if (layers.length === 0) {
    // Nothing to plot yet (the first cell run): an empty frame with a note, not an error.
    body = {
      data: { values: [{}] },
      mark: { type: "text", fontSize: 14, color: "#777777" },
      encoding: { text: { value: renderMessages.chartEmpty() } },
    };
  } else {
    body = {
      layer: layers,
      resolve: { scale: { color: "shared" } },
      encoding: {
        color: {
          field: "series",
          type: "nominal",
          scale: { domain: present, range: colors },
          legend: { title: null, orient: "top", direction: "horizontal", columnPadding: 18 },
        },
      },
    };
  }
  const titleText = options.title ?? "loss";
  const subtitle = [subtitleParts.join(" · "), ...notes].filter((s) => s !== "");
  const spec: VegaLiteSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width,
    height,
    autosize: { type: "fit", contains: "padding" },
    padding: 10,
    background: "#ffffff",
    title: subtitle.length > 0 ? { text: titleText, subtitle } : { text: titleText },
    config: plotConfig({ labelFontSize: 11, symbolStrokeWidth: 2.5, symbolType: "stroke" }),
    ...body,
  };
  const summary = [
    renderMessages.chartSummary(
      options.title,
      train.losses.length,
      lastTrain >= 0 ? train.steps[lastTrain] : undefined,
      lastTrain >= 0 ? train.losses[lastTrain] : undefined,
      validation.losses.length,
    ),
    ...notes,
  ].join("\n");
  return { spec, width, height, yScale: log ? "log" : "linear", smoothing, summary };
}

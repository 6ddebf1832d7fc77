/**
 * What the plot spec builders share: the frame every preview plot has (size, title, font, colors,
 * white background) and the notes a builder leaves for renderPlotPreview. Notes travel inside the
 * spec as vega-lite's `usermeta` (which the compiler ignores), so a spec stays plain JSON and the
 * caption under the picture can still say "3 points with a non-finite value left out".
 */
import type { JsonValue, VegaLiteSpec } from "./vega-lite-spec.js";
import { renderMessages } from "./messages.js";
import type { Rgb } from "./raw-image.js";

/** Tableau 10: distinct, print-safe, the palette readers already know from matplotlib. */
export const PLOT_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"] as const;

export const PLOT_COLORS = {
  /** Scatter points of a prediction-vs-target plot. */
  points: "#1f77b4",
  /** The y = x reference line. */
  diagonal: "#9a9a9a",
  /** Outline of data points over a decision boundary. */
  pointStroke: "#222222",
} as const;

/** How much a decision region's color is mixed with white, so data points stand out on it. */
export const REGION_LIGHTEN = 0.6;

/** The key under `usermeta` where builders leave their summary and notes. */
export const PLOT_META_KEY = "nbresume";

export interface PlotMeta {
  /** One line for a terminal, e.g. "prediction vs target: 200 points · RMSE 0.031". */
  readonly summary?: string;
  /** Things the picture does not show ("3 points with a non-finite value left out"). */
  readonly notes: readonly string[];
}

export interface PlotFrameOptions {
  readonly width: number;
  readonly height: number;
  readonly title?: string;
  readonly subtitle: readonly string[];
  readonly meta: PlotMeta;
}

/**
 * The look every nbresume plot shares, the loss chart's included: font, frame, axes and title; the
 * legend is the caller's. One place, so a preview plot and the loss chart beside it match.
 */
export function plotConfig(legend: Record<string, JsonValue>): Record<string, JsonValue> {
  return {
    // The font text-metrics.ts has widths for; fontconfig substitutes a sans font if it is missing.
    font: "DejaVu Sans, sans-serif",
    view: { stroke: "#dddddd" },
    axis: {
      labelFontSize: 11,
      titleFontSize: 12,
      titleFontWeight: "normal",
      labelColor: "#333333",
      titleColor: "#333333",
      gridColor: "#eeeeee",
      domainColor: "#888888",
      tickColor: "#888888",
    },
    legend,
    title: { anchor: "start", fontSize: 14, subtitleFontSize: 11, subtitleColor: "#555555" },
  };
}

/** Top-level properties of a preview plot; the builder adds its layers. */
export function plotFrame(options: PlotFrameOptions): Record<string, JsonValue> {
  const subtitle = options.subtitle.filter((s) => s !== "");
  const text = options.title ?? "";
  const frame: Record<string, JsonValue> = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    width: options.width,
    height: options.height,
    // The whole picture, axes and legend included, is width × height.
    autosize: { type: "fit", contains: "padding" },
    padding: 10,
    background: "#ffffff",
    config: plotConfig({ labelFontSize: 11, titleFontSize: 11 }),
    usermeta: { [PLOT_META_KEY]: { ...(options.meta.summary !== undefined && { summary: options.meta.summary }), notes: [...options.meta.notes] } },
  };
  // vega draws no title group for empty text, subtitle included; renderPlotPreview fills in the caption.
  if (text !== "" || subtitle.length > 0) frame["title"] = subtitle.length > 0 ? { text, subtitle } : { text };
  return frame;
}

/** The notes a builder left in `spec` (none for a spec from elsewhere). */
export function plotMeta(spec: VegaLiteSpec): PlotMeta {
  const usermeta = spec["usermeta"];
  const meta = isRecord(usermeta) ? usermeta[PLOT_META_KEY] : undefined;
  if (!isRecord(meta)) return { notes: [] };
  const notes = Array.isArray(meta["notes"]) ? meta["notes"].filter((n): n is string => typeof n === "string") : [];
  const summary = meta["summary"];
  return typeof summary === "string" ? { summary, notes } : { notes };
}

export function isRecord(value: unknown): value is Record<string, JsonValue> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks a plot's pixel size (RangeError naming the builder). */
function checkPlotSize(where: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 120 || value > 4096) {
    throw new RangeError(renderMessages.previewBadOption(where, name, value, "an integer number of pixels from 120 to 4096"));
  }
}

function checkMaxPoints(where: string, value: number): void {
  if (!Number.isInteger(value) || value < 2) {
    throw new RangeError(renderMessages.previewBadOption(where, "maxPoints", value, "an integer of at least 2"));
  }
}

/** A plot's size in pixels and the most points it draws. */
export interface PlotSize {
  readonly width: number;
  readonly height: number;
  readonly maxPoints: number;
}

/**
 * A builder's width, height and maxPoints as given, else its `defaults`, each checked (RangeError
 * naming the builder `where`): every preview plot takes and refuses them the same way.
 */
export function plotSize(where: string, options: Partial<PlotSize>, defaults: PlotSize): PlotSize {
  const width = options.width ?? defaults.width;
  const height = options.height ?? defaults.height;
  checkPlotSize(where, "width", width);
  checkPlotSize(where, "height", height);
  const maxPoints = options.maxPoints ?? defaults.maxPoints;
  checkMaxPoints(where, maxPoints);
  return { width, height, maxPoints };
}

/** Every k-th item (k = ⌈n / max⌉), so a long series is drawn evenly thinned. */
export function strideThin<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const k = Math.ceil(items.length / max);
  return items.filter((_, i) => i % k === 0);
}

/** `color` mixed with white: t = 0 is the color, t = 1 white. */
export function lighten(color: string, t: number): string {
  return mixColors(color, "#ffffff", t);
}

/** The color a fraction t of the way from `from` to `to` (t clamped to [0, 1]), as #rrggbb. */
export function mixColors(from: string, to: string, t: number): string {
  const a = hexToRgb(from);
  const b = hexToRgb(to);
  const k = Math.min(1, Math.max(0, t));
  return `#${a
    .map((c, i) =>
      Math.round(c + ((b[i] ?? c) - c) * k)
        .toString(16)
        .padStart(2, "0"),
    )
    .join("")}`;
}

export function hexToRgb(color: string): Rgb {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (m === null) throw new RangeError(`not a #rrggbb color: ${color}`);
  return [parseInt(m[1] ?? "0", 16), parseInt(m[2] ?? "0", 16), parseInt(m[3] ?? "0", 16)];
}

/** A quantitative axis over exactly `domain`. */
export function linearAxis(field: string, title: string, domain: readonly [number, number]): Record<string, JsonValue> {
  return { field, type: "quantitative", title, scale: { domain: [...domain], nice: false, zero: false } };
}

/** [lo, hi] of the values, widened by `pad` of the span each side; a single value gets ±1 (or ±|v|/10). */
export function paddedDomain(values: Iterable<number>, pad: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) {
    const half = lo === 0 ? 1 : Math.abs(lo) / 10;
    return [lo - half, hi + half];
  }
  const margin = (hi - lo) * pad;
  return [lo - margin, hi + margin];
}

/** A layer that says there is nothing to plot, for builders whose points were all left out. */
export function emptyLayer(): Record<string, JsonValue> {
  return {
    data: { values: [{}] },
    mark: { type: "text", fontSize: 14, color: "#777777" },
    encoding: { text: { value: renderMessages.plotEmpty() } },
  };
}

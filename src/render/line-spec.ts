/**
 * Series as lines: a predicted waveform against its target, a forecast against what happened,
 * any y over x. Long series (audio has tens of thousands of samples a second) are thinned to the
 * min and max of each bucket, so peaks and the envelope survive at a few hundred points a line.
 */
import type { JsonValue, VegaLiteSpec } from "./vega-lite-spec.js";
import { renderMessages } from "./messages.js";
import { emptyLayer, linearAxis, paddedDomain, PLOT_PALETTE, plotFrame, plotSize } from "./plot-spec-base.js";

export interface LineSeries {
  /** Legend entry; names must differ. */
  readonly name: string;
  readonly y: ArrayLike<number>;
  /** One x per y; default 0, 1, 2, … (the sample index). */
  readonly x?: ArrayLike<number>;
}

export interface LineSpecOptions {
  readonly series: readonly LineSeries[];
  readonly title?: string;
  readonly xTitle?: string;
  readonly yTitle?: string;
  /** Size of the whole picture in pixels. Default 640×260. */
  readonly width?: number;
  readonly height?: number;
  /** Most points drawn per series; longer ones keep each bucket's min and max. Default 1,000. */
  readonly maxPoints?: number;
}

export const LINE_SPEC_DEFAULTS = { width: 640, height: 260, maxPoints: 1000 } as const;

const WHERE = "lineSpec";

function isNumbers(v: unknown): v is ArrayLike<number> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

/** Builds a line plot of the series as a vega-lite spec. */
export function lineSpec(options: LineSpecOptions): VegaLiteSpec {
  const { series } = options;
  if (!Array.isArray(series) || series.length === 0) {
    throw new TypeError(renderMessages.previewBadOption(WHERE, "series", series, "a non-empty array of { name, y, x? }"));
  }
  const { width, height, maxPoints } = plotSize(WHERE, options, LINE_SPEC_DEFAULTS);

  const names = new Set<string>();
  const rows: JsonValue[] = [];
  const xs: number[] = [];
  const ys: number[] = [];
  let omitted = 0;
  let total = 0;
  series.forEach((s: LineSeries, i) => {
    if (typeof s !== "object" || s === null || typeof s.name !== "string" || !isNumbers(s.y) || (s.x !== undefined && !isNumbers(s.x))) {
      throw new TypeError(
        renderMessages.plotBadPoint(
          WHERE,
          "series",
          i,
          s === null || typeof s !== "object" ? s : { name: s.name },
          "{ name: string, y: number[], x?: number[] }",
        ),
      );
    }
    if (names.has(s.name)) throw new RangeError(renderMessages.plotDuplicateSeries(s.name));
    names.add(s.name);
    if (s.x !== undefined && s.x.length !== s.y.length) throw new RangeError(renderMessages.plotSeriesMismatch(s.name, s.x.length, s.y.length));
    const px: number[] = [];
    const py: number[] = [];
    for (let k = 0; k < s.y.length; k++) {
      const x = s.x === undefined ? k : Number(s.x[k]);
      const y = Number(s.y[k]);
      if (Number.isFinite(x) && Number.isFinite(y)) {
        px.push(x);
        py.push(y);
      } else omitted++;
    }
    total += px.length;
    const keep = minMaxIndices(py, maxPoints);
    for (const k of keep) {
      rows.push({ x: px[k]!, y: py[k]!, series: s.name });
      xs.push(px[k]!);
      ys.push(py[k]!);
    }
  });

  const notes: string[] = [];
  if (omitted > 0) notes.push(renderMessages.plotNonFinite(omitted, "point"));
  // No note for thinning: each bucket's min and max keep the envelope a reader sees.
  const summary = renderMessages.plotLineSummary([...names], total);
  const domain = paddedDomain(xs, 0);
  const yDomain = paddedDomain(ys, 0.05);
  const single = series.length === 1;
  const layer: JsonValue =
    rows.length === 0
      ? emptyLayer()
      : {
          data: { values: rows },
          mark: { type: "line", strokeWidth: 1.25, clip: true, ...(xs.length <= series.length && { point: true }) },
          encoding: {
            x: linearAxis("x", options.xTitle ?? "x", domain),
            y: linearAxis("y", options.yTitle ?? "y", yDomain),
            color: {
              field: "series",
              type: "nominal",
              scale: { domain: [...names], range: [...names].map((_, i) => PLOT_PALETTE[i % PLOT_PALETTE.length]!) },
              legend: single ? null : { title: null, orient: "top", direction: "horizontal" },
            },
          },
        };
  return { ...plotFrame({ width, height, title: options.title ?? "", subtitle: notes, meta: { summary, notes } }), layer: [layer] };
}

/** Indices to draw: all of them, or each bucket's min and max in order. */
function minMaxIndices(values: readonly number[], maxPoints: number): number[] {
  const n = values.length;
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const out: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (values[i]! < values[lo]!) lo = i;
      if (values[i]! > values[hi]!) hi = i;
    }
    if (lo === hi) out.push(lo);
    else out.push(Math.min(lo, hi), Math.max(lo, hi));
  }
  return out;
}

/**
 * A 2-D classifier's preview: the plane colored by what the model predicts (a lattice of grid
 * cells evaluated by the model), with the data points on top in their true class's color. Where
 * a point sits on a region of another color, the model gets it wrong; the boundary moving between
 * checkpoints is the training made visible.
 *
 * A cell carries one of:
 *   class                 the predicted class: its region color
 *   class + probability   the model's confidence in that class: the color fades to white
 *                         towards chance (1 / number of classes), so unsure regions look pale
 *   probability           a binary classifier's P(classes[1]): first class's color through
 *                         white at 0.5 to the second's
 * Cell colors are computed here and drawn as literal colors (no vega scale), one rectangle each.
 */
import type { JsonValue, VegaLiteSpec } from "./vega-lite-spec.js";
import { renderMessages } from "./messages.js";
import {
  emptyLayer,
  lighten,
  linearAxis,
  mixColors,
  paddedDomain,
  PLOT_COLORS,
  PLOT_PALETTE,
  plotFrame,
  plotSize,
  REGION_LIGHTEN,
  strideThin,
} from "./plot-spec-base.js";

export type ClassLabel = string | number;

/** One grid cell: its center, and what the model says there (see the file comment for the three kinds). */
export interface DecisionGridCell {
  readonly x: number;
  readonly y: number;
  /** The predicted class. */
  readonly class?: ClassLabel;
  /** With a class: the confidence in it. Alone: P(classes[1]) of a binary classifier. In [0, 1]. */
  readonly probability?: number;
}

export interface LabelledPoint {
  readonly x: number;
  readonly y: number;
  readonly label: ClassLabel;
}

export interface DecisionBoundaryOptions {
  /** Cell centers on a lattice (rows and columns need not be evenly spaced). */
  readonly grid: readonly DecisionGridCell[];
  readonly points: readonly LabelledPoint[];
  /** Class names in color order; a numeric label i means classes[i]. Default: the labels seen, sorted. */
  readonly classes?: readonly string[];
  readonly title?: string;
  readonly xTitle?: string;
  readonly yTitle?: string;
  /** Size of the whole picture in pixels. Default 460×420. */
  readonly width?: number;
  readonly height?: number;
  /** Most data points drawn; more are evenly thinned. Default 2,000. */
  readonly maxPoints?: number;
}

export const DECISION_BOUNDARY_DEFAULTS = { width: 460, height: 420, maxPoints: 2000, maxCells: 40_000 } as const;

/** The colors of class i: its data points, and its region (the point color mixed with white). */
export function classColors(index: number): { readonly point: string; readonly region: string } {
  const point = PLOT_PALETTE[index % PLOT_PALETTE.length] ?? PLOT_PALETTE[0];
  return { point, region: lighten(point, REGION_LIGHTEN) };
}

const WHERE = "decisionBoundarySpec";

interface Cell {
  readonly x: number;
  readonly y: number;
  /** The class name (class kinds) or undefined (probability alone). */
  readonly label: string | undefined;
  readonly probability: number | undefined;
}

type GridKind = "class" | "class+probability" | "probability";

function gridKindOf(cell: DecisionGridCell | undefined): GridKind {
  const hasClass = cell?.class !== undefined;
  const hasProbability = cell?.probability !== undefined;
  return hasClass ? (hasProbability ? "class+probability" : "class") : "probability";
}

/** Builds the decision-boundary plot as a vega-lite spec. */
export function decisionBoundarySpec(options: DecisionBoundaryOptions): VegaLiteSpec {
  const { grid, points } = options;
  const given: { readonly grid: unknown; readonly points: unknown; readonly classes?: unknown } = options; // unknown: Array.isArray would make them any[]
  if (!Array.isArray(given.grid))
    throw new TypeError(renderMessages.previewBadOption(WHERE, "grid", grid, "an array of { x, y, class } or { x, y, probability }"));
  if (!Array.isArray(given.points)) throw new TypeError(renderMessages.previewBadOption(WHERE, "points", points, "an array of { x, y, label }"));
  if (grid.length > DECISION_BOUNDARY_DEFAULTS.maxCells)
    throw new RangeError(renderMessages.plotTooManyCells(grid.length, DECISION_BOUNDARY_DEFAULTS.maxCells));
  if (options.classes !== undefined && (!Array.isArray(given.classes) || options.classes.some((c) => typeof c !== "string"))) {
    throw new TypeError(renderMessages.previewBadOption(WHERE, "classes", options.classes, "an array of class names (strings)"));
  }
  const { width, height, maxPoints } = plotSize(WHERE, options, DECISION_BOUNDARY_DEFAULTS);

  const named = options.classes;
  const nameOf = (label: ClassLabel): string =>
    typeof label === "number" && named !== undefined && Number.isInteger(label) && label >= 0 && label < named.length ? named[label]! : String(label);
  const isLabel = (v: unknown): v is ClassLabel => typeof v === "string" || (typeof v === "number" && Number.isFinite(v));

  // 1. Cells: one kind for all; non-finite ones left out.
  const kind = gridKindOf(grid[0]);
  const cells: Cell[] = [];
  let cellsOmitted = 0;
  grid.forEach((c: DecisionGridCell, i) => {
    if (typeof c !== "object" || c === null || typeof c.x !== "number" || typeof c.y !== "number") {
      throw new TypeError(renderMessages.plotBadPoint(WHERE, "grid", i, c, "{ x: number, y: number, class?, probability? }"));
    }
    if (gridKindOf(c) !== kind || (c.class !== undefined && !isLabel(c.class)) || (c.probability !== undefined && typeof c.probability !== "number")) {
      throw new TypeError(renderMessages.plotMixedGrid());
    }
    const p = c.probability;
    if (!Number.isFinite(c.x) || !Number.isFinite(c.y) || (p !== undefined && !Number.isFinite(p))) {
      cellsOmitted++;
      return;
    }
    if (p !== undefined && (p < 0 || p > 1)) throw new RangeError(renderMessages.plotProbabilityRange(i, p));
    cells.push({ x: c.x, y: c.y, label: c.class === undefined ? undefined : nameOf(c.class), probability: p });
  });

  // 2. Points, in their class's name.
  const kept: { x: number; y: number; label: string }[] = [];
  let pointsOmitted = 0;
  points.forEach((p: LabelledPoint, i) => {
    if (typeof p !== "object" || p === null || typeof p.x !== "number" || typeof p.y !== "number" || !isLabel(p.label)) {
      throw new TypeError(renderMessages.plotBadPoint(WHERE, "points", i, p, "{ x: number, y: number, label: string | number }"));
    }
    if (Number.isFinite(p.x) && Number.isFinite(p.y)) kept.push({ x: p.x, y: p.y, label: nameOf(p.label) });
    else pointsOmitted++;
  });
  const drawn = strideThin(kept, maxPoints);

  // 3. Classes in a stable order, so a class keeps its color from one checkpoint to the next.
  const seen = [...cells.flatMap((c) => (c.label === undefined ? [] : [c.label])), ...kept.map((p) => p.label)];
  const classes = named !== undefined ? [...named] : sortedLabels(seen);
  for (const label of sortedLabels(seen)) if (!classes.includes(label)) classes.push(label);
  if (kind === "probability") while (classes.length < 2) classes.push(String(classes.length));
  const colors = classes.map((_, i) => classColors(i));
  const regionOf = new Map(classes.map((name, i) => [name, colors[i]!.region]));

  const notes: string[] = [];
  if (cellsOmitted > 0) notes.push(renderMessages.plotNonFinite(cellsOmitted, "grid cell"));
  if (pointsOmitted > 0) notes.push(renderMessages.plotNonFinite(pointsOmitted, "point"));
  if (drawn.length < kept.length) notes.push(renderMessages.plotThinned(drawn.length, kept.length, "point"));
  const summary = renderMessages.plotDecisionSummary(cells.length, kept.length, classes.length);

  // 4. Each cell's color, and a rectangle reaching halfway to its neighbours so the lattice tiles the plane.
  const chance = 1 / Math.max(2, classes.length);
  const cellColor = (c: Cell): string => {
    if (c.label === undefined) {
      const p = c.probability ?? 0.5;
      return p < 0.5 ? mixColors("#ffffff", colors[0]!.region, (0.5 - p) * 2) : mixColors("#ffffff", colors[1]!.region, (p - 0.5) * 2);
    }
    const region = regionOf.get(c.label) ?? colors[0]!.region;
    if (c.probability === undefined) return region;
    return mixColors("#ffffff", region, 0.25 + (0.75 * (c.probability - chance)) / (1 - chance));
  };
  const xEdges = edges(cells.map((c) => c.x));
  const yEdges = edges(cells.map((c) => c.y));
  const rects = cells.map((c) => {
    const [x0, x1] = xEdges.get(c.x) ?? [c.x, c.x];
    const [y0, y1] = yEdges.get(c.y) ?? [c.y, c.y];
    return { x0, x1, y0, y1, fill: cellColor(c) };
  });
  const xDomain = paddedDomain([...rects.flatMap((r) => [r.x0, r.x1]), ...drawn.map((p) => p.x)], rects.length > 0 ? 0 : 0.05);
  const yDomain = paddedDomain([...rects.flatMap((r) => [r.y0, r.y1]), ...drawn.map((p) => p.y)], rects.length > 0 ? 0 : 0.05);
  const x = linearAxis("x0", options.xTitle ?? "x", xDomain);
  const y = linearAxis("y0", options.yTitle ?? "y", yDomain);

  const literal = { field: "fill", type: "nominal", scale: null, legend: null };
  const layers: JsonValue[] = [];
  if (rects.length > 0) {
    layers.push({
      data: { values: rects },
      // A stroke of the fill's own color hides the hairline seams antialiasing leaves between cells.
      mark: { type: "rect", strokeWidth: 0.75, clip: true },
      encoding: { x, x2: { field: "x1" }, y, y2: { field: "y1" }, color: literal, stroke: literal },
    });
  }
  if (drawn.length > 0) {
    layers.push({
      data: { values: drawn },
      // Opaque (vega-lite's default for points is 0.7): a point must not take on the region's color.
      mark: {
        type: "point",
        shape: "circle",
        filled: true,
        opacity: 1,
        size: drawn.length > 500 ? 18 : 44,
        stroke: PLOT_COLORS.pointStroke,
        strokeWidth: 0.8,
        clip: true,
      },
      encoding: {
        x: { ...x, field: "x" },
        y: { ...y, field: "y" },
        fill: { field: "label", type: "nominal", title: "class", scale: { domain: classes, range: colors.map((c) => c.point) } },
      },
    });
  }
  if (layers.length === 0) layers.push(emptyLayer());
  const shading =
    kind === "probability" ? renderMessages.plotShadingProbability(classes[1]!) : kind === "class+probability" ? renderMessages.plotShadingConfidence() : "";
  return {
    ...plotFrame({ width, height, title: options.title ?? "", subtitle: [shading, ...notes], meta: { summary, notes } }),
    layer: layers,
    resolve: { scale: { color: "independent", stroke: "independent", fill: "independent" } },
  };
}

/** Numbers numerically, then strings in code-point order, without duplicates. */
function sortedLabels(labels: readonly string[]): string[] {
  const unique = [...new Set(labels)];
  const numeric = (s: string): boolean => s.trim() !== "" && Number.isFinite(Number(s));
  return unique.sort((a, b) => {
    if (numeric(a) && numeric(b)) return Number(a) - Number(b);
    if (numeric(a) !== numeric(b)) return numeric(a) ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** For each distinct coordinate: [left, right] edges halfway to its neighbours (the end cells mirror their inner half). */
function edges(values: readonly number[]): Map<number, [number, number]> {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const out = new Map<number, [number, number]>();
  if (sorted.length === 1) {
    const v = sorted[0]!;
    const half = v === 0 ? 0.5 : Math.abs(v) / 2;
    out.set(v, [v - half, v + half]);
    return out;
  }
  sorted.forEach((v, i) => {
    const prev = sorted[i - 1];
    const next = sorted[i + 1];
    const left = prev === undefined ? v - (next! - v) / 2 : (prev + v) / 2;
    const right = next === undefined ? v + (v - prev!) / 2 : (v + next) / 2;
    out.set(v, [left, right]);
  });
  return out;
}

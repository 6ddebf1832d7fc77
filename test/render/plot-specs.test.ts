/**
 * The plot spec builders, read as specs (data, notes, domains) and as pictures: the decision
 * boundary's class colors lie on the right sides of a plane split at x = 0, a perfect regressor's
 * points lie on the drawn y = x line (and an offset one's do not), a line plot keeps a long
 * series' peaks.
 */
import { strict as assert } from "node:assert";
import { decodePng } from "../../src/render/image.js";
import type { JsonValue, VegaLiteSpec } from "../../src/render/vega-lite-spec.js";
import { renderMessages as msg } from "../../src/render/messages.js";
import { renderPlotPreview } from "../../src/render/plot-preview.js";
import { mixColors, plotMeta } from "../../src/render/plot-spec-base.js";
import { classColors, decisionBoundarySpec, lineSpec, PLOT_COLORS, PLOT_PALETTE, predictionVsTargetSpec } from "../../src/render/plot-specs.js";
import type { RawImage, Rgb } from "../../src/render/raw-image.js";
import { hexColor, pixelAt } from "./pixels.js";

async function picture(spec: VegaLiteSpec, caption = ""): Promise<RawImage> {
  const preview = await renderPlotPreview({ spec, caption });
  return decodePng(preview.bundle["image/png"] as Uint8Array, { channels: 3 });
}

/** Pixel coordinates whose color passes `test`. */
function pixelsWhere(image: RawImage, test: (rgb: [number, number, number]) => boolean): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  for (let y = 0; y < image.height; y++) for (let x = 0; x < image.width; x++) if (test(pixelAt(image, x, y))) out.push({ x, y });
  return out;
}

const near = (color: Rgb, tolerance: number) => (p: readonly number[]) => p.every((c, i) => Math.abs(c - color[i]!) <= tolerance);

/** Least-squares y = a·x + b through pixel positions. */
function fitLine(points: readonly { x: number; y: number }[]): { a: number; b: number } {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  const a = sxy / sxx;
  return { a, b: my - a * mx };
}

const distance = (line: { a: number; b: number }, p: { x: number; y: number }): number => Math.abs(line.a * p.x - p.y + line.b) / Math.hypot(line.a, 1);

/** The `values` of the spec's layer `i`. */
function layerValues(spec: VegaLiteSpec, i: number): Record<string, JsonValue>[] {
  const layer = (spec["layer"] as JsonValue[])[i] as { data: { values: Record<string, JsonValue>[] } };
  return layer.data.values;
}

/** A 40×40 lattice over [-1, 1]², each cell labelled by `cell(x, y)`. */
function lattice<T>(cell: (x: number, y: number) => T): ({ x: number; y: number } & T)[] {
  const out: ({ x: number; y: number } & T)[] = [];
  for (let i = 0; i < 40; i++) {
    for (let j = 0; j < 40; j++) {
      const x = -1 + (2 * (i + 0.5)) / 40;
      const y = -1 + (2 * (j + 0.5)) / 40;
      out.push({ x, y, ...cell(x, y) });
    }
  }
  return out;
}

describe("render/plot-specs: decision boundary", () => {
  it("colors a plane split at x = 0 with the first class's region color on the left and the second's on the right", async () => {
    const spec = decisionBoundarySpec({
      grid: lattice((x) => ({ class: x < 0 ? "left" : "right" })),
      points: [
        { x: -0.5, y: 0.5, label: "left" },
        { x: 0.5, y: -0.5, label: "right" },
      ],
    });
    const image = await picture(spec, "split at x = 0");
    const left = pixelsWhere(image, near(hexColor(classColors(0).region), 2));
    const right = pixelsWhere(image, near(hexColor(classColors(1).region), 2));
    const area = image.width * image.height;
    assert.ok(left.length > area * 0.2 && right.length > area * 0.2, `region pixels: left ${left.length}, right ${right.length} of ${area}`);
    const leftMax = Math.max(...left.map((p) => p.x));
    const rightMin = Math.min(...right.map((p) => p.x));
    assert.ok(leftMax < rightMin + 1, `the left color reaches x = ${leftMax}, the right one starts at ${rightMin}`);
    // The boundary sits halfway across the plot area (which both regions fill).
    const plotLeft = Math.min(...left.map((p) => p.x));
    const plotRight = Math.max(...right.map((p) => p.x));
    assert.ok(Math.abs((leftMax + rightMin) / 2 - (plotLeft + plotRight) / 2) <= 2, "the boundary is at x = 0");
    // The data points are drawn on top in their classes' full colors.
    assert.ok(pixelsWhere(image, near(hexColor(classColors(0).point), 3)).length > 10, "the left point");
    assert.ok(pixelsWhere(image, near(hexColor(classColors(1).point), 3)).length > 10, "the right point");
  });

  it("shades a binary classifier's probability from the first class's color through white to the second's", async () => {
    const spec = decisionBoundarySpec({
      grid: lattice((x, y) => ({ probability: x < 0 ? 0 : y < 0 ? 1 : 0.5 })),
      points: [],
      classes: ["neg", "pos"],
    });
    const image = await picture(spec);
    const neg = pixelsWhere(image, near(hexColor(classColors(0).region), 2));
    const pos = pixelsWhere(image, near(hexColor(classColors(1).region), 2));
    const white = pixelsWhere(image, near([255, 255, 255], 0));
    assert.ok(neg.length > 0.15 * image.width * image.height && pos.length > 0.05 * image.width * image.height);
    assert.ok(Math.max(...neg.map((p) => p.x)) < Math.min(...pos.map((p) => p.x)) + 1, "P = 0 on the left, P = 1 on the right");
    const posBottom = Math.min(...pos.map((p) => p.y));
    assert.ok(
      white.some((p) => p.x > Math.min(...pos.map((q) => q.x)) + 5 && p.y < posBottom - 5),
      "P = 0.5 (top right) is white",
    );
    assert.deepEqual(plotMeta(spec).notes, []);
  });

  it("pales a predicted class's region where the model's confidence falls towards chance", async () => {
    const spec = decisionBoundarySpec({ grid: lattice((x) => ({ class: x < 0 ? 0 : 1, probability: x < 0 ? 1 : 0.5 })), points: [], classes: ["a", "b"] });
    const image = await picture(spec);
    const sure = pixelsWhere(image, near(hexColor(classColors(0).region), 2)).length;
    const unsure = pixelsWhere(image, near(hexColor(mixColors("#ffffff", classColors(1).region, 0.25)), 2)).length;
    const full = pixelsWhere(image, near(hexColor(classColors(1).region), 2)).length;
    assert.ok(sure > 0.2 * image.width * image.height && unsure > 0.2 * image.width * image.height, `sure ${sure}, unsure ${unsure}`);
    assert.equal(full, 0, "no cell of b is drawn at full color: the model is at chance there");
  });

  it("maps numeric labels to class names, keeps classes in a stable order and notes non-finite cells and points", () => {
    const spec = decisionBoundarySpec({
      grid: [
        { x: 0, y: 0, class: 1 },
        { x: 1, y: 0, class: 0 },
        { x: NaN, y: 0, class: 0 },
      ],
      points: [
        { x: 0, y: 0, label: 0 },
        { x: Infinity, y: 0, label: 1 },
      ],
      classes: ["cat", "dog"],
    });
    const cells = layerValues(spec, 0);
    assert.deepEqual(
      cells.map((c) => c["fill"]),
      [classColors(1).region, classColors(0).region],
    );
    assert.deepEqual(
      cells.map((c) => [c["x0"], c["x1"]]),
      [
        [-0.5, 0.5],
        [0.5, 1.5],
      ],
      "cells reach halfway to their neighbours",
    );
    assert.deepEqual(layerValues(spec, 1), [{ x: 0, y: 0, label: "cat" }]);
    assert.deepEqual(plotMeta(spec).notes, [msg.plotNonFinite(1, "grid cell"), msg.plotNonFinite(1, "point")]);
    assert.equal(plotMeta(spec).summary, msg.plotDecisionSummary(2, 1, 2));
    // Without names, labels sort (numbers numerically), so a class keeps its color between checkpoints.
    const unnamed = decisionBoundarySpec({ grid: [10, 2, 1].map((c, i) => ({ x: i, y: 0, class: c })), points: [] });
    assert.deepEqual(
      layerValues(unnamed, 0).map((c) => c["fill"]),
      [2, 1, 0].map((i) => classColors(i).region),
    );
  });

  it("refuses grids that mix cell kinds, probabilities outside [0, 1] and more cells than it draws quickly", () => {
    assert.throws(
      () =>
        decisionBoundarySpec({
          grid: [
            { x: 0, y: 0, class: "a" },
            { x: 1, y: 0, probability: 0.3 },
          ],
          points: [],
        }),
      {
        name: "TypeError",
        message: msg.plotMixedGrid(),
      },
    );
    assert.throws(() => decisionBoundarySpec({ grid: [{ x: 0, y: 0, probability: 1.5 }], points: [] }), {
      name: "RangeError",
      message: msg.plotProbabilityRange(0, 1.5),
    });
    const big = Array.from({ length: 40_001 }, (_, i) => ({ x: i, y: 0, class: "a" }));
    assert.throws(() => decisionBoundarySpec({ grid: big, points: [] }), { name: "RangeError", message: msg.plotTooManyCells(40_001, 40_000) });
    assert.throws(() => decisionBoundarySpec({ grid: [], points: [{ x: 0, y: 0 } as never] }), { name: "TypeError", message: /points\[0\] must be/ });
  });
});

describe("render/plot-specs: prediction vs target", () => {
  /**
   * Where a rendered plot's points lie: the line through their pixels, how far the worst pixel is
   * from it, and how many pixels of the dashed y = x line continue that line beyond the first and
   * last point (the points cover the diagonal between them when they lie on it).
   */
  async function pointsAndDiagonal(points: { target: number; prediction: number }[]) {
    const image = await picture(predictionVsTargetSpec(points));
    // The point color at 75% opacity over white and over other points: clearly blue.
    const dots = pixelsWhere(image, ([r, g, b]) => b - r > 60 && g - r > 25);
    const line = fitLine(dots);
    const worst = Math.max(...dots.map((p) => distance(line, p)));
    const lo = Math.min(...dots.map((p) => p.x));
    const hi = Math.max(...dots.map((p) => p.x));
    const dashes = pixelsWhere(image, near(hexColor(PLOT_COLORS.diagonal), 10)).filter((p) => distance(line, p) < 1.5);
    return {
      dots,
      line,
      worst,
      dashesBefore: dashes.filter((p) => p.x < lo && p.x > lo - 30).length,
      dashesAfter: dashes.filter((p) => p.x > hi && p.x < hi + 30).length,
    };
  }

  it("puts a perfect regressor's points on the y = x line it draws", async () => {
    const points = Array.from({ length: 60 }, (_, i) => ({ target: -3 + i / 10, prediction: -3 + i / 10 }));
    const { dots, line, worst, dashesBefore, dashesAfter } = await pointsAndDiagonal(points);
    assert.ok(dots.length > 60 * 10, `point pixels: ${dots.length}`);
    assert.ok(worst < 4.5, `the points are not on one line: a pixel lies ${worst.toFixed(1)} px off`);
    assert.ok(line.a < -0.5 && line.a > -2, `the points rise to the right (image y points down): slope ${line.a}`);
    assert.ok(dashesBefore >= 5 && dashesAfter >= 5, `y = x pixels continuing the points' line: ${dashesBefore} before, ${dashesAfter} after`);
  });

  it("shows an offset regressor's points away from the line", async () => {
    const points = Array.from({ length: 60 }, (_, i) => ({ target: -3 + i / 10, prediction: -2 + i / 10 }));
    const { worst, dashesBefore, dashesAfter } = await pointsAndDiagonal(points);
    assert.ok(worst < 4.5, "still on a line of their own");
    assert.equal(dashesBefore + dashesAfter, 0, "but not on the y = x line");
  });

  it("drops non-finite points, says so, and reports RMSE and R² over the rest", () => {
    const spec = predictionVsTargetSpec([
      { target: 0, prediction: 1 },
      { target: 2, prediction: 1 },
      { target: NaN, prediction: 1 },
      { target: 1, prediction: -Infinity },
    ]);
    assert.deepEqual(layerValues(spec, 1), [
      { target: 0, prediction: 1 },
      { target: 2, prediction: 1 },
    ]);
    const meta = plotMeta(spec);
    assert.deepEqual(meta.notes, [msg.plotNonFinite(2, "point")]);
    assert.equal(meta.summary, msg.plotPredictionSummary(msg.plotFit(2, 1, 0)));
    // One domain for both axes, so y = x is the diagonal of the plot area.
    const [diagonalStart, diagonalEnd] = layerValues(spec, 0);
    assert.deepEqual([diagonalStart!["target"], diagonalStart!["prediction"]], [diagonalStart!["target"], diagonalStart!["target"]]);
    assert.ok((diagonalStart!["target"] as number) < 0 && (diagonalEnd!["target"] as number) > 2);
  });

  it("draws nothing-to-plot instead of failing when every point is non-finite", async () => {
    const spec = predictionVsTargetSpec([{ target: NaN, prediction: NaN }]);
    const preview = await renderPlotPreview({ spec, caption: "" });
    assert.ok((preview.bundle["text/plain"] as string).includes(msg.plotNonFinite(1, "point")));
    assert.equal(plotMeta(spec).summary, msg.plotPredictionSummary(msg.plotEmpty()));
  });

  it("thins many points evenly, noting how many are drawn, and refuses bad points", () => {
    const points = Array.from({ length: 12_000 }, (_, i) => ({ target: i, prediction: i }));
    const spec = predictionVsTargetSpec(points);
    assert.equal(layerValues(spec, 1).length, 4000);
    assert.deepEqual(plotMeta(spec).notes, [msg.plotThinned(4000, 12_000, "point")]);
    assert.throws(() => predictionVsTargetSpec([{ target: "1" as unknown as number, prediction: 1 }]), { name: "TypeError", message: /points\[0\] must be/ });
    assert.throws(() => predictionVsTargetSpec([], { width: 50 }), { name: "RangeError", message: /width must be an integer number of pixels/ });
  });
});

describe("render/plot-specs: lines", () => {
  it("draws each series in its palette color and keeps a long series' peaks when thinning", async () => {
    const n = 48_000;
    const target = Float32Array.from({ length: n }, (_, i) => Math.sin(i / 300) * (i === 31_337 ? 3 : 1));
    const predicted = new Float32Array(n).fill(-0.5);
    predicted[10] = NaN;
    const spec = lineSpec({
      series: [
        { name: "target", y: target },
        { name: "predicted", y: predicted },
      ],
      xTitle: "sample",
    });
    const rows = layerValues(spec, 0);
    assert.ok(rows.length <= 2000, `${rows.length} rows`);
    assert.ok(
      rows.some((r) => r["series"] === "target" && r["y"] === Math.fround(3 * Math.sin(31_337 / 300))),
      "the one spike survives thinning",
    );
    assert.deepEqual(plotMeta(spec).notes, [msg.plotNonFinite(1, "point")]);
    const image = await picture(spec);
    // Thin antialiased lines: count by hue. PLOT_PALETTE[0] is blue, [1] orange.
    assert.deepEqual(PLOT_PALETTE.slice(0, 2), ["#1f77b4", "#ff7f0e"]);
    const blue = pixelsWhere(image, ([r, , b]) => b - r > 60);
    const orange = pixelsWhere(image, ([r, , b]) => r - b > 80);
    assert.ok(blue.length > 2000, `target (blue) pixels: ${blue.length}`);
    assert.ok(orange.length > 300, `predicted (orange) pixels: ${orange.length}`);
    const orangeRows = new Set(orange.map((p) => p.y));
    assert.ok(orangeRows.size <= 4, `the constant prediction is one horizontal line, got ${orangeRows.size} rows`);
  });

  it("takes x values when given, and refuses mismatched lengths and duplicate names", () => {
    const spec = lineSpec({ series: [{ name: "a", x: [0, 0.5, 1], y: [1, 2, 3] }] });
    assert.deepEqual(layerValues(spec, 0), [
      { x: 0, y: 1, series: "a" },
      { x: 0.5, y: 2, series: "a" },
      { x: 1, y: 3, series: "a" },
    ]);
    assert.throws(() => lineSpec({ series: [{ name: "a", x: [0], y: [1, 2] }] }), { name: "RangeError", message: msg.plotSeriesMismatch("a", 1, 2) });
    assert.throws(
      () =>
        lineSpec({
          series: [
            { name: "a", y: [1] },
            { name: "a", y: [2] },
          ],
        }),
      { name: "RangeError", message: msg.plotDuplicateSeries("a") },
    );
    assert.throws(() => lineSpec({ series: [] }), { name: "TypeError" });
  });
});

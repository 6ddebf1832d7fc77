/**
 * What the notebook pays to show pictures. Run: node --import tsx bench/render.bench.ts [--json] [--quick]
 * (bench/suite.ts calls renderBench()).
 *   grid    16 real MNIST digits (28×28, ×3, caption) → PNG, the preview shown on every resume;
 *           also its PNG encode alone (same pixels) to show what the drawing costs on top;
 *           and 16 with classifier labels. Target ≤ 20 ms.
 *   chart   loss chart (3,000 train points + validation) → PNG: the first render in this process
 *           (loads vega/vega-lite, fontconfig) and warm renders, split into spec, vega and SVG→PNG.
 * Figures are medians (and p90) of repeated runs; this machine is shared, so load from other
 * processes only ever adds time.
 */
import { decodePng, encodePng } from "../src/render/image.js";
import { buildLossChartSpec, type LossPoint } from "../src/render/loss-chart-spec.js";
import { renderLossChart } from "../src/render/loss-chart.js";
import { predictionLabel } from "../src/render/prediction-label.js";
import { renderSampleGrid } from "../src/render/sample-grid.js";
import { loadVega } from "../src/render/vega-modules.js";
import { svgToPng } from "../src/render/image.js";
import { mnistDigits } from "../test/render/mnist-digits.js";
import { type BenchRow, isMain, printRows } from "./bench-row.js";

interface Stats {
  median: number;
  p90: number;
  runs: number;
}

async function time(runs: number, fn: () => Promise<unknown>): Promise<Stats> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number): number => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? NaN;
  return { median: at(0.5), p90: at(0.9), runs };
}

/** Grid and chart render times; `runs` scales the repetitions (1 = 60 grids, 20 charts). */
export async function renderBench(options: { runs?: number } = {}): Promise<BenchRow[]> {
  const scale = options.runs ?? 1;
  const gridRuns = Math.max(5, Math.round(60 * scale));
  const chartRuns = Math.max(3, Math.round(20 * scale));
  const rows: BenchRow[] = [];
  /** `id` is the stable key for --json consumers; `name` is the table label. */
  function report(id: string, name: string, figures: Record<string, number | string>, note = ""): void {
    rows.push({ bench: "render", id, name: name.trim(), ...figures, ...(note ? { note } : {}) });
  }

  // ── sample grid ──────────────────────────────────────────────────────────────
  const { images, classes } = mnistDigits(16);
  const caption = "step 12,000 · loss 0.0312 · rolling checkpoint";
  const gridOptions = { images, n: 16, height: 28, width: 28, range: [0, 1] as const, caption };
  const firstGridStart = performance.now();
  const grid = await renderSampleGrid(gridOptions);
  const firstGrid = performance.now() - firstGridStart;
  const gridStats = await time(gridRuns, () => renderSampleGrid(gridOptions));
  const raw = await decodePng(grid.bundle["image/png"], { channels: 3 });
  const encodeStats = await time(gridRuns, () => encodePng(raw));
  const labels = classes.map((c, i) => predictionLabel({ predicted: i % 7 === 3 ? (c + 1) % 10 : c, probability: 0.9, truth: c }));
  const labelledStats = await time(gridRuns, () => renderSampleGrid({ ...gridOptions, labels }));
  const fastStats = await time(gridRuns, () => renderSampleGrid({ ...gridOptions, compressionLevel: 1 }));

  report("grid_first", "grid 16×28×28 → PNG (first)", { ms: firstGrid }, "includes sharp's first-use setup");
  report("grid", "grid 16×28×28 → PNG", {
    median_ms: gridStats.median,
    p90_ms: gridStats.p90,
    target_ms: 20,
    ratio_to_target: gridStats.median / 20,
    width: grid.width,
    height: grid.height,
    png_bytes: grid.bundle["image/png"].length,
  });
  report("grid_encode_only", "  PNG encode alone (same pixels)", {
    median_ms: encodeStats.median,
    share_of_grid: encodeStats.median / gridStats.median,
  });
  report("grid_labels", "grid with 16 classifier labels", { median_ms: labelledStats.median, ratio_to_plain: labelledStats.median / gridStats.median });
  report("grid_zlib1", "grid, zlib level 1", { median_ms: fastStats.median, ratio_to_level_6: fastStats.median / gridStats.median });

  // ── loss chart ───────────────────────────────────────────────────────────────
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const train: LossPoint[] = Array.from({ length: 3000 }, (_, i) => ({
    step: i + 1,
    loss: 0.03 + 2.3 * Math.exp(-i / 300) + 0.02 * rnd(),
  }));
  const validation: LossPoint[] = Array.from({ length: 12 }, (_, k) => ({
    step: (k + 1) * 250,
    loss: 0.035 + 2.3 * Math.exp(-((k + 1) * 250) / 300),
  }));
  const chartOptions = { train, validation, title: "MNIST diffusion" };
  const firstChartStart = performance.now();
  await renderLossChart(chartOptions);
  const firstChart = performance.now() - firstChartStart;
  const chartStats = await time(chartRuns, () => renderLossChart(chartOptions));

  // Where a warm render's time goes.
  const { vega, vegaLite } = await loadVega();
  const logger = vega.logger(vega.Error);
  const specStats = await time(chartRuns, async () => buildLossChartSpec(chartOptions));
  const built = buildLossChartSpec(chartOptions);
  let svg = "";
  const vegaStats = await time(chartRuns, async () => {
    const compiled = vegaLite.compile(built.spec as unknown as Parameters<typeof vegaLite.compile>[0], { logger }).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: "none", logger });
    svg = await view.toSVG();
    view.finalize();
  });
  const rasterStats = await time(chartRuns, () => svgToPng(svg, { width: built.width }));

  report("chart_first", "loss chart → PNG (first)", { ms: firstChart }, "loads vega + vega-lite, fontconfig");
  report("chart_warm", "loss chart → PNG (warm)", {
    median_ms: chartStats.median,
    p90_ms: chartStats.p90,
    first_to_warm: firstChart / chartStats.median,
  });
  report("chart_spec", "  spec (thin 3,000 pts, EMA)", { median_ms: specStats.median, share: specStats.median / chartStats.median });
  report("chart_vega", "  vega compile + view + SVG", { median_ms: vegaStats.median, share: vegaStats.median / chartStats.median });
  report("chart_rasterise", "  SVG → PNG (librsvg)", { median_ms: rasterStats.median, share: rasterStats.median / chartStats.median });

  return rows;
}

if (isMain(import.meta.url)) {
  printRows(await renderBench({ runs: process.argv.includes("--quick") ? 0.2 : 1 }), process.argv.includes("--json"));
}

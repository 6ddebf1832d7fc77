import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { decodePng } from "../../src/render/image.js";
import { LOSS_CHART_SERIES as S, type LossPoint } from "../../src/render/loss-chart-spec.js";
import { lossChartVegaLiteBundle, renderLossChart } from "../../src/render/loss-chart.js";
import type { RawImage } from "../../src/render/raw-image.js";
import { countNear, hexColor } from "./pixels.js";

const run = promisify(execFile);

/** A noisy decaying loss, deterministic. */
function lossCurve(n: number, from: number, to: number, seed = 1): LossPoint[] {
  let s = seed;
  const rnd = (): number => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: n }, (_, i) => ({ step: i + 1, loss: to + (from - to) * Math.exp(-i / (n / 6)) + 0.05 * to * rnd() }));
}

async function pixels(png: Uint8Array): Promise<RawImage> {
  return decodePng(png, { channels: 3 });
}

describe("render/loss-chart", () => {
  it("renders a PNG of the requested size with the smoothed line, validation points and axis text", async () => {
    const chart = await renderLossChart({
      train: lossCurve(2000, 2.3, 0.05),
      validation: [250, 500, 1000, 1500, 2000].map((step) => ({ step, loss: 0.05 + 2.25 * Math.exp(-step / 333) + 0.01 })),
      width: 600,
      height: 280,
      title: "MNIST diffusion",
    });
    assert.deepEqual([chart.width, chart.height], [600, 280]);
    const img = await pixels(chart.bundle["image/png"]);
    assert.deepEqual([img.width, img.height], [600, 280]);
    const smoothed = countNear(img, hexColor(S.smoothed.color), 40);
    const validation = countNear(img, hexColor(S.validation.color), 40);
    const text = countNear(img, [51, 51, 51], 60) + countNear(img, [0, 0, 0], 40);
    const white = countNear(img, [255, 255, 255], 0);
    assert.ok(smoothed > 500, `dark smoothed-loss line pixels: ${smoothed}`);
    assert.ok(validation > 100, `validation pixels: ${validation}`);
    // Axis labels, titles and legend: if the machine had no font, this is where it would show.
    assert.ok(text > 800, `dark text pixels: ${text}`);
    assert.ok(white > img.width * img.height * 0.5, "mostly white background");
    assert.ok(chart.bundle["text/plain"].startsWith("MNIST diffusion: loss chart, 2000 training points, last step 2000"));
  });

  it("draws different pictures for different loss series", async () => {
    const a = await pixels((await renderLossChart({ train: lossCurve(300, 2, 0.1, 1) })).bundle["image/png"]);
    const b = await pixels((await renderLossChart({ train: lossCurve(300, 0.5, 0.3, 2) })).bundle["image/png"]);
    assert.deepEqual([a.width, a.height], [b.width, b.height]);
    let differing = 0;
    for (let i = 0; i < a.pixels.length; i += 3) {
      if (a.pixels[i] !== b.pixels[i] || a.pixels[i + 1] !== b.pixels[i + 1] || a.pixels[i + 2] !== b.pixels[i + 2]) differing++;
    }
    assert.ok(differing > 2000, `${differing} pixels differ`);
  });

  it("renders the same input to the same bytes (no hidden state between renders)", async () => {
    const options = { train: lossCurve(500, 1, 0.2) };
    const first = await renderLossChart(options);
    const second = await renderLossChart(options);
    assert.deepEqual(first.bundle["image/png"], second.bundle["image/png"]);
  });

  it("doubles the pixel size with pixelRatio 2 for high-DPI screens", async () => {
    const chart = await renderLossChart({ train: lossCurve(100, 1, 0.5), width: 400, height: 200, pixelRatio: 2 });
    assert.deepEqual([chart.width, chart.height], [800, 400]);
    const img = await pixels(chart.bundle["image/png"]);
    assert.deepEqual([img.width, img.height], [800, 400]);
  });

  it("shows the very first loss as a visible point", async () => {
    const img = await pixels((await renderLossChart({ train: [{ step: 1, loss: 2.31 }] })).bundle["image/png"]);
    // Below the legend (whose symbol has the same color), in the plot area.
    const plot = { x: 0, y: 100, width: img.width, height: img.height - 100 };
    const point = countNear(img, hexColor(S.smoothed.color), 40, plot);
    assert.ok(point > 15, `smoothed-color pixels of the point: ${point}`);
  });

  it("draws an empty chart with a note before the first loss arrives", async () => {
    const chart = await renderLossChart({ train: [] });
    assert.deepEqual([chart.width, chart.height], [640, 300]);
    const img = await pixels(chart.bundle["image/png"]);
    assert.ok(countNear(img, [119, 119, 119], 50) > 50, "the note's gray text is drawn");
  });

  it("offers the spec as a vega-lite MIME bundle for interactive front ends", () => {
    const bundle = lossChartVegaLiteBundle({ train: lossCurve(10, 1, 0.5), validation: [{ step: 5, loss: 0.7 }] });
    const spec = bundle["application/vnd.vegalite.v5+json"];
    assert.equal(spec["$schema"], "https://vega.github.io/schema/vega-lite/v5.json");
    const text = JSON.stringify(spec);
    for (const name of [S.train.name, S.smoothed.name, S.validation.name]) assert.ok(text.includes(`"series":"${name}"`), name);
    assert.ok(bundle["text/plain"].includes("10 training points"));
  });

  it("loads through require(), as tslab loads the package, and draws a chart from there", async () => {
    const modulePath = fileURLToPath(new URL("../../src/render/index.ts", import.meta.url));
    // tsx compiles required files to CommonJS and fails on top-level await anywhere in the graph,
    // like Node's require() of ESM does (ERR_REQUIRE_ASYNC_MODULE).
    const script = `
      const m = require(${JSON.stringify(modulePath)});
      m.renderLossChart({ train: [{ step: 1, loss: 1 }, { step: 2, loss: 0.5 }], width: 300, height: 150 })
        .then((r) => process.stdout.write(JSON.stringify({ width: r.width, height: r.height })));`;
    const { stdout } = await run(process.execPath, ["--import", "tsx", "-e", script], { timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout), { width: 300, height: 150 });
  });
});

import { strict as assert } from "node:assert";
import { renderTextPreview } from "../../src/render/text-preview.js";
import { dashboardHtml, pngDataUri } from "../../src/render/dashboard-html.js";
import { decodePng } from "../../src/render/image.js";
import type { RenderedImage } from "../../src/render/mime-bundle.js";
import { renderSampleGrid } from "../../src/render/sample-grid.js";

describe("render/dashboard-html", () => {
  it("embeds the progress HTML, then the chart and the grid as data-URI images that decode", async () => {
    const grid = await renderSampleGrid({ images: new Float32Array(4 * 4), n: 4, height: 2, width: 2, range: [0, 1], caption: 'step 5 · "best"' });
    const chart: RenderedImage = { ...grid, bundle: { ...grid.bundle, "text/plain": "loss chart" } };
    const html = dashboardHtml({ progressHtml: "<div>step 5 / 10</div>", chart, grid, chartPixelRatio: 2 });
    assert.ok(html.startsWith('<div class="nbresume-dashboard"><div>step 5 / 10</div>'));
    const sources = [...html.matchAll(/<img src="data:image\/png;base64,([^"]+)" width="(\d+)" alt="([^"]*)"/g)];
    assert.equal(sources.length, 2);
    assert.equal(sources[0]?.[3], "loss chart", "chart first");
    assert.equal(sources[1]?.[3], "step 5 · &#34;best&#34;", "alt text is the escaped caption");
    assert.equal(Number(sources[0]?.[2]), Math.round(chart.width / 2), "the chart's CSS width is pixels / pixelRatio");
    assert.equal(Number(sources[1]?.[2]), grid.width, "the grid is shown 1:1");
    const decoded = await decodePng(Buffer.from(sources[1]?.[1] ?? "", "base64"));
    assert.deepEqual([decoded.width, decoded.height], [grid.width, grid.height]);
    assert.equal(pngDataUri(new Uint8Array([1, 2, 3])), "data:image/png;base64,AQID");
  });

  it("is just the progress block when there are no pictures yet", () => {
    assert.equal(dashboardHtml({ progressHtml: "<p>x</p>" }), '<div class="nbresume-dashboard"><p>x</p></div>');
  });

  it("shows the newest preview that is not a picture (generated text) below the pictures, in a scrolling box", () => {
    const text = renderTextPreview({ samples: [{ prompt: "Alice", text: " <was> here" }], caption: "step 5" });
    const html = dashboardHtml({ progressHtml: "<p>x</p>", previewHtml: text.bundle["text/html"] as string });
    assert.ok(html.startsWith('<div class="nbresume-dashboard"><p>x</p><div style="margin-top:6px;max-height:24em;overflow:auto">'));
    assert.ok(html.includes(text.bundle["text/html"] as string));
    assert.doesNotMatch(html, /<was>/, "the text arrives escaped by its renderer");
  });
});

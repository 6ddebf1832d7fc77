/**
 * Any vega-lite spec as a preview: the bundle (PNG, the spec as vega-lite JSON, text), the files,
 * the caption as the title, a user's spec holding NaN and Infinity, size overrides, and a spec
 * vega cannot draw.
 */
import { strict as assert } from "node:assert";
import { isNbresumeError } from "../../src/errors.js";
import { checkBundle } from "../../src/notebook/mime-bundle.js";
import { decodePng } from "../../src/render/image.js";
import type { VegaLiteSpec } from "../../src/render/vega-lite-spec.js";
import { RenderErrorCode, renderMessages as msg } from "../../src/render/messages.js";
import { MAX_INLINE_SPEC_BYTES, renderPlotPreview, VEGALITE_MIME } from "../../src/render/plot-preview.js";
import { decisionBoundarySpec, predictionVsTargetSpec } from "../../src/render/plot-specs.js";
import { countNear } from "./pixels.js";

const BARS: VegaLiteSpec = {
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  title: "accuracy per class",
  data: {
    values: [
      { c: "a", v: 0.9 },
      { c: "b", v: 0.4 },
      { c: "c", v: 0.7 },
    ],
  },
  mark: { type: "bar", color: "#d62728" },
  encoding: { x: { field: "c", type: "nominal" }, y: { field: "v", type: "quantitative" } },
};

describe("render/plot-preview", () => {
  it("returns the PNG, the spec as vega-lite v5 JSON and text, and saves .png and .vl.json", async () => {
    const preview = await renderPlotPreview({ spec: BARS, caption: "step 300" });
    checkBundle(preview.bundle);
    assert.deepEqual(Object.keys(preview.bundle).sort(), ["application/vnd.vegalite.v5+json", "image/png", "text/plain"]);
    assert.equal(VEGALITE_MIME, "application/vnd.vegalite.v5+json");
    const png = preview.bundle["image/png"] as Uint8Array;
    const image = await decodePng(png, { channels: 3 });
    assert.deepEqual([preview.image?.width, preview.image?.height], [image.width, image.height]);
    assert.equal(preview.image?.bundle["image/png"], png);
    assert.ok(countNear(image, [0xd6, 0x27, 0x28], 10) > 2000, "the bars are drawn");

    const spec = JSON.parse(preview.bundle[VEGALITE_MIME] as string) as Record<string, unknown>;
    assert.equal(spec["$schema"], "https://vega.github.io/schema/vega-lite/v5.json", "JupyterLab renders v5");
    assert.deepEqual(spec["title"], { text: "step 300", subtitle: ["accuracy per class"] }, "the caption titles it; the spec's own title moves under it");
    assert.deepEqual(spec["data"], BARS["data"]);

    assert.deepEqual(
      preview.files.map((f) => f.suffix),
      [".png", ".vl.json"],
    );
    assert.equal(preview.files[0]!.bytes, png);
    assert.equal(new TextDecoder().decode(preview.files[1]!.bytes), `${preview.bundle[VEGALITE_MIME] as string}\n`);
    assert.equal(preview.bundle["text/plain"], `step 300\n${msg.plotDescription()}`);
    assert.equal(preview.summary, msg.plotDescription());
  });

  it("leaves NaN and Infinity in a user's spec out of the drawing, as null in the JSON, and says so", async () => {
    const spec: VegaLiteSpec = {
      data: {
        values: [
          { x: 1, y: 1 },
          { x: 2, y: Number.NaN },
          { x: Number.POSITIVE_INFINITY, y: 3 },
          { x: 4, y: 4 },
        ],
      },
      mark: "point",
      encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
    };
    const preview = await renderPlotPreview({ spec, caption: "" });
    assert.ok((preview.bundle["text/plain"] as string).includes(msg.plotNonFinite(2, "value")));
    assert.ok(preview.summary.includes(msg.plotNonFinite(2, "value")));
    const json = JSON.parse(preview.bundle[VEGALITE_MIME] as string) as { data: { values: unknown[] } };
    assert.deepEqual(json.data.values, [
      { x: 1, y: 1 },
      { x: 2, y: null },
      { x: null, y: 3 },
      { x: 4, y: 4 },
    ]);
    await decodePng(preview.bundle["image/png"] as Uint8Array);
  });

  it("carries a builder's summary and notes into the text and summary, and sizes the picture to width × height", async () => {
    const spec = predictionVsTargetSpec(
      [
        { target: 0, prediction: 0.1 },
        { target: 1, prediction: 0.9 },
        { target: NaN, prediction: 0 },
      ],
      { title: "val" },
    );
    const preview = await renderPlotPreview({ spec, caption: "val", width: 300, height: 240 });
    assert.deepEqual([preview.image?.width, preview.image?.height], [300, 240]);
    const image = await decodePng(preview.bundle["image/png"] as Uint8Array);
    assert.deepEqual([image.width, image.height], [300, 240]);
    const fit = msg.plotFit(2, 0.1, 1 - 0.02 / 0.5);
    assert.equal(preview.bundle["text/plain"], ["val", msg.plotPredictionSummary(fit), msg.plotNonFinite(1, "point")].join("\n"));
    assert.equal(preview.summary, `${msg.plotPredictionSummary(fit)} (${msg.plotNonFinite(1, "point")})`);
    const title = (JSON.parse(preview.bundle[VEGALITE_MIME] as string) as { title: { text: string; subtitle: string[] } }).title;
    assert.equal(title.text, "val");
    assert.equal(title.subtitle[0], fit, "the same title as the caption is not repeated");
  });

  it("makes control characters in the caption visible", async () => {
    const preview = await renderPlotPreview({ spec: BARS, caption: "step\u001b[2J 5\nnext" });
    assert.ok((preview.bundle["text/plain"] as string).startsWith("step␛[2J 5 next\n"));
  });

  it("refuses a spec that is not an object, a caption that is not a string and a size out of range", async () => {
    await assert.rejects(renderPlotPreview({ spec: null as unknown as VegaLiteSpec, caption: "" }), { name: "TypeError", message: msg.plotBadSpec(null) });
    await assert.rejects(renderPlotPreview({ spec: [] as unknown as VegaLiteSpec, caption: "" }), { name: "TypeError" });
    await assert.rejects(renderPlotPreview({ spec: BARS, caption: 5 as unknown as string }), { name: "TypeError", message: /caption must be a string/ });
    await assert.rejects(renderPlotPreview({ spec: BARS, caption: "", width: 10 }), {
      name: "RangeError",
      message: /width must be an integer number of pixels from 40/,
    });
    const cyclic: Record<string, unknown> = { mark: "point" };
    cyclic["self"] = cyclic;
    await assert.rejects(renderPlotPreview({ spec: cyclic as VegaLiteSpec, caption: "" }), { name: "TypeError" });
  });

  it("reports a spec vega cannot draw as CHART_FAILED naming renderPlotPreview", async () => {
    await assert.rejects(
      renderPlotPreview({ spec: { mark: "no-such-mark", data: { values: [] } }, caption: "" }),
      (e: unknown) =>
        isNbresumeError(e, RenderErrorCode.CHART_FAILED) && e.where === "renderPlotPreview" && e.message.startsWith("vega could not render the plot: "),
    );
  });

  it("keeps a large spec (a fine decision-boundary grid) in its .vl.json file only, not inline, so notebooks stay small", async () => {
    const grid = Array.from({ length: 60 * 60 }, (_, i) => ({ x: (i % 60) / 60, y: Math.floor(i / 60) / 60, class: i % 60 < 30 ? "a" : "b" }));
    const spec = decisionBoundarySpec({ grid, points: [{ x: 0.1, y: 0.1, label: "a" }] });
    assert.ok(JSON.stringify(spec).length > MAX_INLINE_SPEC_BYTES);
    const p = await renderPlotPreview({ spec, caption: "step 1" });
    assert.deepEqual(Object.keys(p.bundle).sort(), ["image/png", "text/plain"]);
    const file = p.files.find((f) => f.suffix === ".vl.json");
    assert.ok(file !== undefined && file.bytes.byteLength > MAX_INLINE_SPEC_BYTES, "the whole spec is still saved");
    const small = await renderPlotPreview({ spec: BARS, caption: "" });
    assert.ok(VEGALITE_MIME in small.bundle, "a small spec still goes inline");
  });
});

/** An image grid in the shape every preview returns: same PNG bytes, caption once, one ".png" file. */
import { strict as assert } from "node:assert";
import { checkBundle } from "../../src/notebook/mime-bundle.js";
import { gridPreview } from "../../src/render/grid-preview.js";
import { decodePng } from "../../src/render/image.js";
import { renderMessages as msg } from "../../src/render/messages.js";
import type { RenderedImage } from "../../src/render/mime-bundle.js";
import { renderSampleGrid } from "../../src/render/sample-grid.js";
import { mnistDigits } from "./mnist-digits.js";

describe("render/grid-preview", () => {
  it("wraps a sample grid as image/png and text/plain with the grid's own PNG as the .png file", async () => {
    const { images } = mnistDigits(16);
    const grid = await renderSampleGrid({ images, n: 16, height: 28, width: 28, range: [0, 1] });
    const preview = gridPreview(grid, "step 500 · loss 0.031");
    checkBundle(preview.bundle);
    assert.deepEqual(Object.keys(preview.bundle).sort(), ["image/png", "text/plain"]);
    assert.equal(preview.bundle["image/png"], grid.bundle["image/png"], "the same bytes, not a re-encode");
    assert.equal(preview.bundle["text/plain"], `step 500 · loss 0.031\n${msg.gridDescription(16, 28, 28)}`);
    assert.deepEqual(
      preview.files.map((f) => f.suffix),
      [".png"],
    );
    assert.equal(preview.files[0]!.bytes, grid.bundle["image/png"]);
    assert.deepEqual([preview.image?.width, preview.image?.height], [grid.width, grid.height]);
    assert.equal(preview.image?.bundle["text/plain"], preview.bundle["text/plain"]);
    assert.equal(preview.summary, msg.gridDescription(16, 28, 28));
    const decoded = await decodePng(preview.bundle["image/png"]);
    assert.deepEqual([decoded.width, decoded.height], [grid.width, grid.height]);
  });

  it("does not repeat a caption the grid was drawn with, and keeps the grid's notes", async () => {
    const images = new Float32Array(4 * 4).fill(0.5);
    images[3] = Number.NaN;
    const caption = "step 9 · rolling";
    const grid = await renderSampleGrid({ images, n: 4, height: 2, width: 2, range: [0, 1], caption });
    const preview = gridPreview(grid, caption);
    assert.equal(preview.bundle["text/plain"], `${caption}\n${msg.gridNonFinite(1)}`);
    assert.equal(preview.summary, caption);
  });

  it("takes any rendered image, an empty caption included, and refuses what is not one", () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47]);
    const bare: RenderedImage = { bundle: { "image/png": png, "text/plain": "" }, width: 10, height: 20 };
    const preview = gridPreview(bare, "");
    assert.equal(preview.summary, msg.gridImageDescription(10, 20));
    assert.equal(preview.bundle["text/plain"], msg.gridImageDescription(10, 20), "never an empty text for a terminal");
    assert.throws(() => gridPreview({} as RenderedImage, ""), { name: "TypeError", message: /gridPreview: result must be a rendered image/ });
    assert.throws(() => gridPreview(bare, null as unknown as string), { name: "TypeError", message: /caption must be a string/ });
  });
});

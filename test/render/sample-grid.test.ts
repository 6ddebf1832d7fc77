import { strict as assert } from "node:assert";
import { FIXED_6X13 } from "../../src/render/bitmap-font.js";
import { decodePng } from "../../src/render/image.js";
import { renderMessages } from "../../src/render/messages.js";
import { predictionLabel } from "../../src/render/prediction-label.js";
import type { RawImage } from "../../src/render/raw-image.js";
import { layoutSampleGrid, renderSampleGrid, SAMPLE_GRID_COLORS as C, SAMPLE_GRID_METRICS as M, type SampleGridResult } from "../../src/render/sample-grid.js";
import { tensor } from "../../src/tensor.js";
import { mnistDigits } from "./mnist-digits.js";
import { countColor, pixelAt } from "./pixels.js";

async function decoded(result: SampleGridResult): Promise<RawImage> {
  const img = await decodePng(result.bundle["image/png"], { channels: 3 });
  assert.equal(img.width, result.width, "reported width matches the PNG");
  assert.equal(img.height, result.height, "reported height matches the PNG");
  return img;
}

/** n samples of h×w, sample i filled with values[i]. */
function filled(values: readonly number[], h: number, w: number): Float32Array {
  const out = new Float32Array(values.length * h * w);
  values.forEach((v, i) => out.fill(v, i * h * w, (i + 1) * h * w));
  return out;
}

describe("render/sample-grid", () => {
  it("lays 16 28×28 samples out as 4×4 cells of 84 px with a 2 px frame, 346×346", async () => {
    const result = await renderSampleGrid({ images: new Float32Array(16 * 784), n: 16, height: 28, width: 28, range: [0, 1] });
    // 4 columns × (28 px × scale 3) + 5 frame lines × 2 px
    assert.equal(result.width, 4 * 84 + 5 * 2);
    assert.equal(result.height, 4 * 84 + 5 * 2);
    const img = await decoded(result);
    assert.deepEqual(pixelAt(img, 0, 0), [...C.border], "outer frame");
    assert.deepEqual(pixelAt(img, 2, 2), [0, 0, 0], "first cell starts inside the frame");
    assert.deepEqual(pixelAt(img, 85, 40), [0, 0, 0], "first cell is 84 px wide");
    assert.deepEqual(pixelAt(img, 86, 40), [...C.border], "frame between cells 1 and 2");
    assert.deepEqual(pixelAt(img, 87, 40), [...C.border]);
    assert.deepEqual(pixelAt(img, 88, 40), [0, 0, 0], "second cell");
    assert.deepEqual(pixelAt(img, 345, 345), [...C.border]);
  });

  it("sizes the grid from n, columns and scale, and marks the unused slots of the last row", async () => {
    const result = await renderSampleGrid({ images: new Float32Array(10 * 28 * 28), n: 10, height: 28, width: 28, columns: 4, scale: 2, range: [0, 1] });
    assert.equal(result.width, 4 * 56 + 5 * 2);
    assert.equal(result.height, 3 * 56 + 4 * 2);
    const img = await decoded(result);
    const layout = layoutSampleGrid({ n: 10, height: 28, width: 28, columns: 4, scale: 2 });
    assert.equal(layout.emptySlots.length, 2);
    for (const slot of layout.emptySlots) {
      assert.deepEqual(pixelAt(img, slot.x + 10, slot.y + 10), [...C.emptyCell]);
    }
    const last = layout.cells[9]?.image;
    assert.ok(last !== undefined);
    assert.equal(last.x, 2 + 1 * (56 + 2));
    assert.equal(last.y, 2 + 2 * (56 + 2));
    assert.deepEqual(pixelAt(img, last.x + 5, last.y + 5), [0, 0, 0]);
  });

  it("draws a cell of +1 white and a cell of −1 black with range [−1, 1], and clamps values outside it", async () => {
    const result = await renderSampleGrid({ images: filled([1, -1, 7, -9, 0], 4, 5), n: 5, height: 4, width: 5, columns: 5, scale: 3, range: [-1, 1] });
    const img = await decoded(result);
    const layout = layoutSampleGrid({ n: 5, height: 4, width: 5, columns: 5, scale: 3 });
    const expected = [255, 0, 255, 0, 128]; // 0 in [−1, 1] is 127.5 → 128
    layout.cells.forEach((cell, i) => {
      const v = expected[i] ?? -1;
      // Every pixel of the 15×12 cell, corners included.
      for (const [x, y] of [
        [0, 0],
        [14, 0],
        [0, 11],
        [14, 11],
        [7, 6],
      ] as const) {
        assert.deepEqual(pixelAt(img, cell.image.x + x, cell.image.y + y), [v, v, v], `cell ${i} at (${x}, ${y})`);
      }
      assert.deepEqual(pixelAt(img, cell.image.x - 1, cell.image.y + 3), [...C.border], `frame left of cell ${i}`);
      assert.deepEqual(pixelAt(img, cell.image.x + 15, cell.image.y + 3), [...C.border], `frame right of cell ${i}`);
    });
  });

  it("upscales by nearest neighbour: each source pixel becomes a scale×scale block", async () => {
    // 2×2 checkerboard, values in [0, 1]
    const result = await renderSampleGrid({ images: new Float32Array([1, 0, 0, 1]), n: 1, height: 2, width: 2, scale: 4, range: [0, 1] });
    const img = await decoded(result);
    const { x, y } = layoutSampleGrid({ n: 1, height: 2, width: 2, scale: 4 }).cells[0]?.image ?? { x: -1, y: -1 };
    for (let dy = 0; dy < 8; dy++) {
      for (let dx = 0; dx < 8; dx++) {
        const white = dx < 4 === dy < 4;
        const v = white ? 255 : 0;
        assert.deepEqual(pixelAt(img, x + dx, y + dy), [v, v, v], `(${dx}, ${dy})`);
      }
    }
  });

  it("reproduces real MNIST digits pixel for pixel at scale 3", async () => {
    const { images } = mnistDigits(16);
    const result = await renderSampleGrid({ images, n: 16, height: 28, width: 28, range: [0, 1] });
    const img = await decoded(result);
    const layout = layoutSampleGrid({ n: 16, height: 28, width: 28 });
    let inked = 0;
    layout.cells.forEach((cell, i) => {
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const v = Math.round((images[i * 784 + y * 28 + x] ?? 0) * 255);
          if (v > 128) inked++;
          const got = pixelAt(img, cell.image.x + x * 3 + 1, cell.image.y + y * 3 + 2);
          if (got[0] !== v || got[1] !== v || got[2] !== v) {
            assert.fail(`sample ${i} pixel (${x}, ${y}): expected gray ${v}, got ${got.join(",")}`);
          }
        }
      }
    });
    assert.ok(inked > 16 * 50, "the digits have ink (the test data is not blank)");
  });

  it("shows NaN pixels in red and counts the samples that have them", async () => {
    const images = filled([0.5, 0.5, 0.5], 3, 3);
    images[9 + 4] = NaN; // sample 1, centre pixel
    const result = await renderSampleGrid({ images, n: 3, height: 3, width: 3, scale: 2, range: [0, 1] });
    assert.equal(result.samplesWithNaN, 1);
    assert.equal(result.bundle["text/plain"], `${renderMessages.gridDescription(3, 3, 3)}\n${renderMessages.gridNonFinite(1)}`);
    const img = await decoded(result);
    const layout = layoutSampleGrid({ n: 3, height: 3, width: 3, scale: 2 });
    const cell = layout.cells[1]?.image;
    assert.ok(cell !== undefined);
    assert.deepEqual(pixelAt(img, cell.x + 2, cell.y + 2), [...C.nan]);
    assert.deepEqual(pixelAt(img, cell.x + 3, cell.y + 3), [...C.nan]);
    assert.deepEqual(pixelAt(img, cell.x, cell.y), [128, 128, 128]);
    assert.equal(countColor(img, C.nan), 4, "one source pixel → a 2×2 red block");
  });

  it("draws RGB samples from planar N×C×H×W data, via a float tensor", async () => {
    // one 1×2 sample: left pixel red, right pixel cyan
    const data = new Float32Array([1, 0, /* G */ 0, 1, /* B */ 0, 1]);
    const result = await renderSampleGrid({ images: tensor("float32", [1, 3, 1, 2], data), range: [0, 1], scale: 2 });
    const img = await decoded(result);
    const cell = layoutSampleGrid({ n: 1, height: 1, width: 2, scale: 2 }).cells[0]?.image;
    assert.ok(cell !== undefined);
    assert.deepEqual(pixelAt(img, cell.x, cell.y), [255, 0, 0]);
    assert.deepEqual(pixelAt(img, cell.x + 3, cell.y + 1), [0, 255, 255]);
  });

  it("takes n, height and width from a [N, H, W] tensor", async () => {
    const result = await renderSampleGrid({ images: tensor("float64", [6, 5, 7], new Float64Array(6 * 35)), range: [0, 1] });
    const layout = layoutSampleGrid({ n: 6, height: 5, width: 7 });
    assert.equal(layout.scale, 13, "⌊96 / 7⌋");
    assert.deepEqual([result.width, result.height], [layout.width, layout.height]);
    assert.deepEqual([layout.columns, layout.rows], [3, 2]);
  });

  it("draws a caption band above the grid and returns the caption as text/plain", async () => {
    const caption = "step 12000 · loss 0.031 · rolling";
    const plain = await renderSampleGrid({ images: new Float32Array(16 * 784), n: 16, height: 28, width: 28, range: [0, 1] });
    const result = await renderSampleGrid({ images: new Float32Array(16 * 784), n: 16, height: 28, width: 28, range: [0, 1], caption });
    assert.equal(result.bundle["text/plain"], caption);
    const band = M.lineHeight + 2 * M.captionPadding;
    assert.equal(result.height, plain.height + band);
    assert.equal(result.width, plain.width);
    const img = await decoded(result);
    const rect = { x: 0, y: 0, width: result.width, height: band };
    const ink = countColor(img, C.captionText, rect);
    assert.ok(ink > 100, `caption text is drawn (${ink} text pixels)`);
    assert.equal(ink + countColor(img, C.background, rect), result.width * band, "the band holds only background and text");
    assert.deepEqual(pixelAt(img, 0, band), [...C.border], "the grid frame starts below the band");
  });

  it("wraps a long caption and widens a narrow grid for it", async () => {
    const caption = "resumed from ckpt-step-00012000 (rolling) · loss 0.0312 · smoothed 0.0330 · validation 0.0291 · 2 of 16 samples";
    const layout = layoutSampleGrid({ n: 2, height: 28, width: 28, caption });
    assert.equal(layout.width, M.captionMinWidth, "a 2-sample grid widens so the caption need not wrap into a column");
    assert.ok(layout.caption !== undefined && layout.caption.lines.length > 1);
    for (const line of layout.caption.lines) assert.ok([...line].length * 6 <= layout.width - 2 * M.captionPadding, line);
    assert.equal(layout.caption.lines.join(" "), caption);
    assert.equal(layout.grid.x, Math.floor((M.captionMinWidth - layout.grid.width) / 2), "the grid is centred");
  });

  it("draws labels in a band under each cell, changing only the label band's pixels", async () => {
    const images = filled([0, 0, 0, 0], 28, 28);
    const labels = ["7 (p=0.98)", "1 (p=0.51)", "3", "0"];
    const without = await decoded(await renderSampleGrid({ images, n: 4, height: 28, width: 28, range: [0, 1] }));
    const result = await renderSampleGrid({ images, n: 4, height: 28, width: 28, range: [0, 1], labels });
    const img = await decoded(result);
    const band = M.lineHeight + 2 * M.labelPadding;
    assert.equal(result.height, without.height + 2 * band, "two rows, each with a label band");
    const layout = layoutSampleGrid({ n: 4, height: 28, width: 28, labels });
    layout.cells.forEach((cell, i) => {
      const label = cell.label;
      assert.ok(label !== undefined);
      assert.equal(label.height, band);
      const text = countColor(img, C.labelText, label);
      assert.ok(text > 10, `label ${i} is drawn (${text} text pixels)`);
      assert.equal(text + countColor(img, C.labelBackground, label), label.width * label.height, `label ${i} band`);
      // the sample above the label is unchanged
      assert.deepEqual(pixelAt(img, cell.image.x + 40, cell.image.y + 40), [0, 0, 0]);
    });
    const longer = countColor(img, C.labelText, layout.cells[0]?.label);
    const shorter = countColor(img, C.labelText, layout.cells[2]?.label);
    assert.ok(longer > shorter * 3, "a longer label has more ink");
  });

  it("marks wrong predictions in red and names the true class", async () => {
    const labels = [predictionLabel({ predicted: 7, probability: 0.98, truth: 7 }), predictionLabel({ predicted: 1, probability: 0.61, truth: 4 })];
    assert.deepEqual(labels, [{ text: "7 (p=0.98)" }, { text: "1 (p=0.61)\ntrue 4", wrong: true }]);
    const result = await renderSampleGrid({ images: filled([0, 0], 28, 28), n: 2, height: 28, width: 28, range: [0, 1], labels });
    assert.equal(result.bundle["text/plain"], `${renderMessages.gridDescription(2, 28, 28)}\n${renderMessages.gridWrongPredictions(1, 2)}`);
    const img = await decoded(result);
    const layout = layoutSampleGrid({ n: 2, height: 28, width: 28, labels });
    const [right, wrong] = layout.cells.map((c) => c.label);
    assert.ok(right !== undefined && wrong !== undefined);
    assert.equal(wrong.height, 2 * M.lineHeight + 2 * M.labelPadding, "two lines for the wrong one, and the row follows");
    assert.equal(countColor(img, C.wrongText, right), 0);
    assert.ok(countColor(img, C.labelText, right) > 10);
    assert.ok(countColor(img, C.wrongText, wrong) > 20, "wrong label text is red");
    assert.equal(countColor(img, C.labelBackground, wrong), 0, "wrong label band is tinted");
    assert.ok(countColor(img, C.wrongBackground, wrong) > wrong.width * wrong.height * 0.5);
  });

  it("cuts a label wider than its cell and ends it with …", () => {
    const layout = layoutSampleGrid({ n: 1, height: 10, width: 10, scale: 4, labels: ["a label far too long for a 40 px cell"] });
    const line = layout.labelLines[0]?.[0] ?? "";
    assert.ok(line.endsWith("…"), line);
    assert.ok([...line].length * FIXED_6X13.cellWidth <= 40 - 2, line);
  });

  it("rejects data whose length does not match n × C × H × W, naming both", async () => {
    await assert.rejects(
      renderSampleGrid({ images: new Float32Array(100), n: 16, height: 28, width: 28, range: [0, 1] }),
      (e: unknown) => e instanceof RangeError && e.message === renderMessages.gridLengthMismatch(100, 16, 1, 28, 28),
    );
  });

  it("rejects a bad range, a label count that differs from n, and a bad tensor shape", async () => {
    const images = new Float32Array(4);
    await assert.rejects(
      renderSampleGrid({ images, n: 1, height: 2, width: 2, range: [1, 1] }),
      (e: unknown) => e instanceof RangeError && e.message === renderMessages.gridBadRange([1, 1]),
    );
    await assert.rejects(
      renderSampleGrid({ images, n: 1, height: 2, width: 2, range: [0, 1], labels: ["a", "b"] }),
      (e: unknown) => e instanceof RangeError && e.message === renderMessages.gridLabelCount(2, 1),
    );
    await assert.rejects(
      renderSampleGrid({ images: tensor("float32", [1, 2, 2, 1], images), range: [0, 1] }),
      (e: unknown) => e instanceof RangeError && e.message === renderMessages.gridBadTensorShape([1, 2, 2, 1]),
    );
    await assert.rejects(
      renderSampleGrid({ images: tensor("float32", [1, 2, 2], images), n: 4, range: [0, 1] }),
      (e: unknown) => e instanceof RangeError && e.message === renderMessages.gridTensorDisagrees("n", 4, 1, [1, 2, 2]),
    );
    await assert.rejects(renderSampleGrid({ images, n: 0, height: 2, width: 2, range: [0, 1] }), RangeError);
    await assert.rejects(renderSampleGrid({ images, n: 1, height: 2, width: 2, range: [0, 1], scale: 0 }), RangeError);
  });
});

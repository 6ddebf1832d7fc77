import { strict as assert } from "node:assert";
import { drawText, fitText, FIXED_6X13, FIXED_6X13_BOLD, textWidth, wrapText } from "../../src/render/bitmap-font.js";
import { Raster } from "../../src/render/raster.js";
import type { Rgb } from "../../src/render/raw-image.js";
import { countColor } from "./pixels.js";

const WHITE: Rgb = [255, 255, 255];
const INK: Rgb = [0, 0, 0];

describe("render/bitmap-font", () => {
  it("has every printable ASCII character and the caption symbols in both weights", () => {
    for (let c = 0x20; c < 0x7f; c++) {
      assert.equal(FIXED_6X13.glyph(String.fromCharCode(c))?.length, 13, `regular ${c}`);
      assert.equal(FIXED_6X13_BOLD.glyph(String.fromCharCode(c))?.length, 13, `bold ${c}`);
    }
    for (const c of "·—…✓✗×≠→") assert.ok(FIXED_6X13.glyph(c) !== undefined, c);
  });

  it("draws the glyph's bits: 'I' is a vertical bar, space draws nothing", () => {
    const r = new Raster(6, 13, WHITE);
    drawText(r, FIXED_6X13, " ", 0, 0, INK);
    assert.equal(countColor(r, INK), 0);
    drawText(r, FIXED_6X13, "I", 0, 0, INK);
    const rows = FIXED_6X13.glyph("I") ?? new Uint8Array();
    let bits = 0;
    rows.forEach((row, y) => {
      for (let x = 0; x < 6; x++) {
        const on = (row & (0x80 >> x)) !== 0;
        if (on) bits++;
        assert.deepEqual(r.pixel(x, y), on ? INK : WHITE, `(${x}, ${y})`);
      }
    });
    assert.ok(bits >= 9, "the I has a stem");
  });

  it("advances 6 px per character and scales each font pixel to a block", () => {
    const r = new Raster(40, 30, WHITE);
    drawText(r, FIXED_6X13, "ab", 0, 0, INK, 2);
    const ink = countColor(r, INK);
    const one = new Raster(40, 30, WHITE);
    drawText(one, FIXED_6X13, "ab", 0, 0, INK);
    assert.equal(ink, 4 * countColor(one, INK));
    assert.equal(countColor(one, INK, { x: 12, y: 0, width: 28, height: 30 }), 0, "two glyphs end at x = 12");
    assert.equal(textWidth(FIXED_6X13, "ab"), 12);
    assert.equal(textWidth(FIXED_6X13, "p=0.98 ✓", 2), 96);
  });

  it("draws characters the font lacks as '?'", () => {
    const a = new Raster(6, 13, WHITE);
    const b = new Raster(6, 13, WHITE);
    drawText(a, FIXED_6X13, "日", 0, 0, INK);
    drawText(b, FIXED_6X13, "?", 0, 0, INK);
    assert.deepEqual(a.pixels, b.pixels);
  });

  it("cuts text to a width with …", () => {
    assert.equal(fitText(FIXED_6X13, "short", 60), "short");
    assert.equal(fitText(FIXED_6X13, "0123456789abc", 60), "012345678…");
    assert.equal(fitText(FIXED_6X13, "anything", 5), "");
  });

  it("wraps at spaces, honours \\n, and ends a cut last line with …", () => {
    assert.deepEqual(wrapText(FIXED_6X13, "step 12000 · loss 0.031", 60), ["step 12000", "· loss", "0.031"]);
    assert.deepEqual(wrapText(FIXED_6X13, "a\nb c", 600), ["a", "b c"]);
    assert.deepEqual(wrapText(FIXED_6X13, "abcdefghijkl", 36), ["abcdef", "ghijkl"], "no space: hard break");
    const cut = wrapText(FIXED_6X13, "one two three four five six", 36, 2);
    assert.equal(cut.length, 2);
    assert.ok(cut[1]?.endsWith("…"), cut[1]);
  });
});

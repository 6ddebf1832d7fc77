/**
 * Text for images we draw ourselves, from a built-in bitmap font (X11 misc-fixed 6×13, public
 * domain). Sample-grid captions and labels never depend on the fonts a machine has installed,
 * render identically everywhere, and cost microseconds.
 */
import { MISC_FIXED_6X13, MISC_FIXED_6X13_BOLD } from "./fonts/misc-fixed-6x13.js";
import type { Raster } from "./raster.js";
import type { Rgb } from "./raw-image.js";

export interface BitmapFont {
  /** Advance of every glyph in pixels (the font is monospaced). */
  readonly cellWidth: number;
  /** Line height in pixels. */
  readonly cellHeight: number;
  /** Rows above the baseline. */
  readonly ascent: number;
  /** The glyph rows for one character (one byte per row, MSB leftmost), or undefined if absent. */
  glyph(char: string): Uint8Array | undefined;
}

function decode(table: Readonly<Record<string, string>>): Map<string, Uint8Array> {
  const glyphs = new Map<string, Uint8Array>();
  for (const [char, hex] of Object.entries(table)) {
    glyphs.set(
      char,
      Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16)),
    );
  }
  return glyphs;
}

function fixedFont(table: Readonly<Record<string, string>>): BitmapFont {
  let glyphs: Map<string, Uint8Array> | undefined;
  return {
    cellWidth: 6,
    cellHeight: 13,
    ascent: 11,
    glyph(char: string): Uint8Array | undefined {
      glyphs ??= decode(table);
      return glyphs.get(char);
    },
  };
}

export const FIXED_6X13: BitmapFont = fixedFont(MISC_FIXED_6X13);
export const FIXED_6X13_BOLD: BitmapFont = fixedFont(MISC_FIXED_6X13_BOLD);

const ELLIPSIS = "…";

/** Width of `text` in pixels when drawn at `scale`. Counts code points (the font is monospaced). */
export function textWidth(font: BitmapFont, text: string, scale = 1): number {
  return [...text].length * font.cellWidth * scale;
}

/** `text`, cut and ended with "…" if it is wider than `maxWidth` pixels. */
export function fitText(font: BitmapFont, text: string, maxWidth: number, scale = 1): string {
  const chars = [...text];
  const fits = Math.floor(maxWidth / (font.cellWidth * scale));
  if (chars.length <= fits) return text;
  if (fits <= 0) return "";
  return (
    chars
      .slice(0, fits - 1)
      .join("")
      .trimEnd() + ELLIPSIS
  );
}

/**
 * Breaks `text` into lines no wider than `maxWidth`, at spaces where possible; explicit "\n"
 * starts a new line. At most `maxLines` lines; the last one ends with "…" if text was left over.
 */
export function wrapText(font: BitmapFont, text: string, maxWidth: number, maxLines = Infinity, scale = 1): string[] {
  const perLine = Math.max(1, Math.floor(maxWidth / (font.cellWidth * scale)));
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let rest = [...paragraph.trim()];
    if (rest.length === 0) lines.push("");
    while (rest.length > 0) {
      if (rest.length <= perLine) {
        lines.push(rest.join(""));
        break;
      }
      let cut = rest.lastIndexOf(" ", perLine);
      if (cut <= 0) cut = perLine;
      lines.push(rest.slice(0, cut).join("").trimEnd());
      rest = rest.slice(cut);
      while (rest[0] === " ") rest.shift();
    }
  }
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    const last = kept.length - 1;
    // Forcing the overflow onto the last line makes fitText cut it and add the "…".
    kept[last] = fitText(font, `${lines.slice(last).join(" ")}${ELLIPSIS}`, maxWidth, scale);
    return kept;
  }
  return lines;
}

/**
 * Draws one line of text with its top-left corner at (x, y); `scale` repeats each font pixel.
 * Characters the font lacks are drawn as "?".
 */
export function drawText(raster: Raster, font: BitmapFont, text: string, x: number, y: number, color: Rgb, scale = 1): void {
  const fallback = font.glyph("?");
  let penX = x;
  for (const char of text) {
    const rows = font.glyph(char) ?? fallback;
    if (rows !== undefined) {
      for (let row = 0; row < rows.length; row++) {
        const bits = rows[row] ?? 0;
        if (bits === 0) continue;
        for (let col = 0; col < font.cellWidth; col++) {
          if ((bits & (0x80 >> col)) === 0) continue;
          if (scale === 1) raster.setPixel(penX + col, y + row, color);
          else raster.fillRect(penX + col * scale, y + row * scale, scale, scale, color);
        }
      }
    }
    penX += font.cellWidth * scale;
  }
}

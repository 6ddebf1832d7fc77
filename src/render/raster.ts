/**
 * A small RGB drawing surface for the renderers that build pixels themselves (the sample grid):
 * rectangles and bitmap text, nothing more. Plain JavaScript, so drawing needs no native code and
 * a 16-sample grid costs about a millisecond before encoding.
 */
import type { RawImage, Rgb } from "./raw-image.js";

export class Raster implements RawImage {
  readonly channels = 3 as const;
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb,
  ) {
    this.pixels = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  /** Fills the rectangle, clipped to the raster. */
  fillRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    const x0 = Math.max(0, Math.floor(x));
    const y0 = Math.max(0, Math.floor(y));
    const x1 = Math.min(this.width, Math.floor(x + w));
    const y1 = Math.min(this.height, Math.floor(y + h));
    if (x1 <= x0 || y1 <= y0) return;
    const [r, g, b] = color;
    const px = this.pixels;
    // Fill the first row, then copy it: copyWithin is a memmove, far faster than per-pixel writes.
    const rowStart = (y0 * this.width + x0) * 3;
    for (let i = rowStart, end = rowStart + (x1 - x0) * 3; i < end; i += 3) {
      px[i] = r;
      px[i + 1] = g;
      px[i + 2] = b;
    }
    const rowBytes = (x1 - x0) * 3;
    for (let yy = y0 + 1; yy < y1; yy++) {
      px.copyWithin((yy * this.width + x0) * 3, rowStart, rowStart + rowBytes);
    }
  }

  setPixel(x: number, y: number, color: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    this.pixels[i] = color[0];
    this.pixels[i + 1] = color[1];
    this.pixels[i + 2] = color[2];
  }

  /** The color at (x, y); for tests and checks. */
  pixel(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 3;
    return [this.pixels[i] ?? 0, this.pixels[i + 1] ?? 0, this.pixels[i + 2] ?? 0];
  }
}

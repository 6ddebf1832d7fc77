/** Pixel reading helpers for the render tests. */
import type { RawImage, Rgb } from "../../src/render/raw-image.js";

/** The RGB color at (x, y) of a decoded image (gray images repeat their one channel). */
export function pixelAt(image: RawImage, x: number, y: number): [number, number, number] {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) {
    throw new RangeError(`pixel (${x}, ${y}) is outside the ${image.width}×${image.height} image`);
  }
  const i = (y * image.width + x) * image.channels;
  const p = image.pixels;
  if (image.channels <= 2) return [p[i] ?? -1, p[i] ?? -1, p[i] ?? -1];
  return [p[i] ?? -1, p[i + 1] ?? -1, p[i + 2] ?? -1];
}

/** How many pixels in the rectangle have exactly `color`. */
export function countColor(image: RawImage, color: Rgb, rect = { x: 0, y: 0, width: image.width, height: image.height }): number {
  let n = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const [r, g, b] = pixelAt(image, x, y);
      if (r === color[0] && g === color[1] && b === color[2]) n++;
    }
  }
  return n;
}

/** How many pixels in the rectangle are within `tolerance` (per channel) of `color`. */
export function countNear(image: RawImage, color: Rgb, tolerance: number, rect = { x: 0, y: 0, width: image.width, height: image.height }): number {
  let n = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const [r, g, b] = pixelAt(image, x, y);
      if (Math.abs(r - color[0]) <= tolerance && Math.abs(g - color[1]) <= tolerance && Math.abs(b - color[2]) <= tolerance) n++;
    }
  }
  return n;
}

/** Parses "#rrggbb". */
export function hexColor(hex: string): Rgb {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (m === null) throw new Error(`not a #rrggbb color: ${hex}`);
  return [parseInt(m[1] ?? "0", 16), parseInt(m[2] ?? "0", 16), parseInt(m[3] ?? "0", 16)];
}

/**
 * The image types renderers exchange with the codec (src/render/image.ts, the one file that
 * imports sharp). Renderers draw into plain pixel buffers; only encoding touches the native side.
 */

/** Uncompressed pixels: row-major, channels interleaved, 8 bits per channel. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  readonly channels: 1 | 2 | 3 | 4;
  /** `width * height * channels` bytes. */
  readonly pixels: Uint8Array;
}

/** An 8-bit sRGB color. */
export type Rgb = readonly [r: number, g: number, b: number];

/** An encoded PNG with its pixel size. */
export interface EncodedPng {
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface EncodePngOptions {
  /** zlib level 0–9. Default 6; lower is faster and larger (see bench/render.bench.ts). */
  readonly compressionLevel?: number;
}

export interface SvgToPngOptions {
  /** Output width in pixels; the height follows the SVG's aspect ratio. Default: the SVG's own size. */
  readonly width?: number;
  /** Rasterisation density in DPI (72 = one SVG unit per pixel). Default 72, or what `width` needs. */
  readonly density?: number;
}

/** One image placed on a composite canvas, top-left corner at (left, top). */
export interface CompositeLayer {
  readonly png: Uint8Array;
  readonly left: number;
  readonly top: number;
}

export interface CompositeCanvas {
  readonly width: number;
  readonly height: number;
  readonly background: Rgb;
}

/**
 * PNG encode/decode, SVG rasterisation and compositing through sharp (libvips). The only file
 * that imports sharp (docs/CONTRIBUTING.md, "Native dependencies"): renderers draw into RawImage buffers and call these.
 */
import sharp from "sharp";
import { NbresumeError } from "../errors.js";
import { RenderErrorCode, renderMessages } from "./messages.js";
import type { CompositeCanvas, CompositeLayer, EncodedPng, EncodePngOptions, RawImage, SvgToPngOptions } from "./raw-image.js";

/** libvips' PNG limit is far larger; this keeps a bad argument from allocating gigabytes. */
const MAX_SIDE = 32767;

function checkSize(where: string, width: number, height: number): void {
  for (const [name, value] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > MAX_SIDE) {
      throw new RangeError(renderMessages.badDimension(where, name, value, MAX_SIDE));
    }
  }
}

function checkRawImage(image: RawImage, where: string): void {
  const { width, height, channels, pixels } = image;
  checkSize(where, width, height);
  if (![1, 2, 3, 4].includes(channels)) throw new RangeError(renderMessages.badChannels(where, channels));
  if (pixels.length !== width * height * channels) {
    throw new RangeError(renderMessages.pixelCountMismatch(where, pixels.length, width, height, channels));
  }
}

function asBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Encodes raw 8-bit pixels as a PNG. */
export async function encodePng(image: RawImage, options: EncodePngOptions = {}): Promise<Uint8Array> {
  checkRawImage(image, "encodePng");
  const compressionLevel = options.compressionLevel ?? 6;
  if (!Number.isInteger(compressionLevel) || compressionLevel < 0 || compressionLevel > 9) {
    throw new RangeError(renderMessages.badCompressionLevel(compressionLevel));
  }
  try {
    let pipeline = sharp(image.pixels, {
      raw: { width: image.width, height: image.height, channels: image.channels },
    });
    // Without this sharp widens gray input to an RGB PNG: three times the pixels to compress.
    if (image.channels <= 2) pipeline = pipeline.toColourspace("b-w");
    const out = await pipeline.png({ compressionLevel, adaptiveFiltering: false }).toBuffer();
    return asBytes(out);
  } catch (cause) {
    throw new NbresumeError(RenderErrorCode.ENCODE_FAILED, renderMessages.encodeFailed("PNG", cause), {
      where: "encodePng",
      cause,
    });
  }
}

/**
 * Decodes a PNG (or any image sharp reads) to raw pixels. `channels` forces the layout
 * (e.g. 3 drops alpha over black, 4 adds an opaque alpha); by default the file's own layout.
 */
export async function decodePng(bytes: Uint8Array, options: { channels?: 3 | 4 } = {}): Promise<RawImage> {
  try {
    let pipeline = sharp(bytes);
    if (options.channels === 3) pipeline = pipeline.removeAlpha();
    else if (options.channels === 4) pipeline = pipeline.ensureAlpha();
    // sharp converts to sRGB on output; keep a gray file gray, as "the file's own layout" promises.
    else if ((await pipeline.metadata()).space === "b-w") pipeline = pipeline.toColourspace("b-w");
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    const channels = info.channels;
    if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
      throw new Error(`unexpected channel count ${String(channels)}`);
    }
    return { width: info.width, height: info.height, channels, pixels: asBytes(data) };
  } catch (cause) {
    throw new NbresumeError(RenderErrorCode.DECODE_FAILED, renderMessages.decodeFailed(bytes.length, cause), {
      where: "decodePng",
      cause,
    });
  }
}

/** Reads the pixel size of an encoded image without decoding it. */
export async function imageSize(bytes: Uint8Array): Promise<{ width: number; height: number }> {
  try {
    const meta = await sharp(bytes).metadata();
    if (meta.width === undefined || meta.height === undefined) throw new Error("no size in the image header");
    return { width: meta.width, height: meta.height };
  } catch (cause) {
    throw new NbresumeError(RenderErrorCode.DECODE_FAILED, renderMessages.decodeFailed(bytes.length, cause), {
      where: "imageSize",
      cause,
    });
  }
}

/**
 * Rasterises an SVG document (librsvg; text goes through fontconfig, so it needs a system font
 * such as Debian's fonts-dejavu-core) onto an opaque white background.
 */
export async function svgToPng(svg: string, options: SvgToPngOptions = {}): Promise<EncodedPng> {
  if (options.width !== undefined && (!Number.isInteger(options.width) || options.width < 1)) {
    throw new RangeError(renderMessages.badDimension("svgToPng", "width", options.width, MAX_SIDE));
  }
  if (options.density !== undefined && !(options.density > 0 && options.density <= 2400)) {
    throw new RangeError(renderMessages.badDensity(options.density));
  }
  try {
    const input = Buffer.from(svg, "utf8");
    let density = options.density ?? 72;
    if (options.width !== undefined && options.density === undefined) {
      // Rasterise at the density that gives the requested width directly: resizing a
      // 72-DPI bitmap afterwards would blur the lines and text.
      const natural = svgWidthAttribute(svg) ?? (await sharp(input, { density: 72 }).metadata()).width;
      if (natural !== undefined && natural > 0) density = (72 * options.width) / natural;
    }
    let pipeline = sharp(input, { density }).flatten({ background: "#ffffff" });
    if (options.width !== undefined) pipeline = pipeline.resize({ width: options.width });
    const { data, info } = await pipeline.png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer({ resolveWithObject: true });
    return { png: asBytes(data), width: info.width, height: info.height };
  } catch (cause) {
    throw new NbresumeError(RenderErrorCode.ENCODE_FAILED, renderMessages.encodeFailed("SVG", cause), {
      where: "svgToPng",
      cause,
    });
  }
}

/** The root element's width="N" in user units, read from the text (saves librsvg a parse). */
function svgWidthAttribute(svg: string): number | undefined {
  const root = /<svg\b[^>]*>/.exec(svg.slice(0, 4096))?.[0];
  const match = root === undefined ? null : /\swidth="([0-9.]+)(px)?"/.exec(root);
  const width = match?.[1] === undefined ? NaN : Number(match[1]);
  return width > 0 ? width : undefined;
}

/** Places PNGs on a solid canvas, e.g. a loss chart beside a sample grid, and encodes the result. */
export async function compositePng(canvas: CompositeCanvas, layers: readonly CompositeLayer[]): Promise<EncodedPng> {
  checkSize("compositePng", canvas.width, canvas.height);
  try {
    const [r, g, b] = canvas.background;
    const { data, info } = await sharp({
      create: { width: canvas.width, height: canvas.height, channels: 3, background: { r, g, b } },
    })
      .composite(layers.map((l) => ({ input: Buffer.from(l.png.buffer, l.png.byteOffset, l.png.byteLength), left: l.left, top: l.top })))
      .png({ compressionLevel: 6, adaptiveFiltering: false })
      .toBuffer({ resolveWithObject: true });
    return { png: asBytes(data), width: info.width, height: info.height };
  } catch (cause) {
    throw new NbresumeError(RenderErrorCode.ENCODE_FAILED, renderMessages.encodeFailed("composite", cause), {
      where: "compositePng",
      cause,
    });
  }
}

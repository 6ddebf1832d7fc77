/**
 * A grid of image samples (generated digits, or classifier inputs with their predictions) as a
 * PNG: what the user sees when a run resumes and as training goes on.
 *
 *   ┌──────────────────────────────┐
 *   │ caption (wrapped, bold)      │  caption band, only with a caption
 *   │ ┌────┬────┬────┬────┐        │
 *   │ │img │img │img │img │        │  cells: nearest-neighbour upscaled samples,
 *   │ │lbl │lbl │lbl │lbl │        │  a label band under each when labels are given,
 *   │ ├────┼────┼────┼────┤        │  separated by a `border`-pixel grey frame
 *   │ ...                          │
 *   └──────────────────────────────┘
 *
 * Pixels are drawn in JavaScript (values clamped to the range, NaN in red, text from a built-in
 * bitmap font) and encoded once by sharp.
 */
import type { Tensor } from "../tensor.js";
import { drawText, fitText, FIXED_6X13, FIXED_6X13_BOLD, textWidth, wrapText } from "./bitmap-font.js";
import { encodePng } from "./image.js";
import type { RenderedImage } from "./mime-bundle.js";
import { renderMessages } from "./messages.js";
import { Raster } from "./raster.js";
import type { Rgb } from "./raw-image.js";

/** A cell caption: plain text, or text marked wrong (a misclassified sample, drawn in red). "\n" breaks lines. */
export type GridLabel = string | { readonly text: string; readonly wrong?: boolean };

export interface SampleGridOptions {
  /**
   * The samples, N×H×W (grayscale) or N×C×H×W with C = 1 or 3 (planar RGB), row-major. A float
   * tensor of shape [N, H, W] or [N, C, H, W] brings its own n, height, width and channels.
   */
  readonly images: Float32Array | Float64Array | Tensor<"float32"> | Tensor<"float64">;
  /** Number of samples; images.length must be exactly n×C×H×W. */
  readonly n?: number;
  readonly height?: number;
  readonly width?: number;
  /** 1 (grayscale, default) or 3 (RGB, planar C×H×W per sample). */
  readonly channels?: 1 | 3;
  /** The value range that maps to black..white; values outside are clamped. */
  readonly range: readonly [number, number];
  /** Cells per row; default ⌈√n⌉ (16 samples → 4×4). */
  readonly columns?: number;
  /** Integer nearest-neighbour upscale; default ⌊96 / max(H, W)⌋, so 28×28 digits are 84 px. */
  readonly scale?: number;
  /** One caption per sample, e.g. from predictionLabel(). */
  readonly labels?: readonly GridLabel[];
  /** Shown above the grid and as text/plain, e.g. "step 12000 · loss 0.031 · rolling". */
  readonly caption?: string;
  /** PNG zlib level 0–9, default 6 (bench/render.bench.ts measures the trade-off). */
  readonly compressionLevel?: number;
}

export interface SampleGridResult extends RenderedImage {
  /** How many samples contain a NaN (drawn in red). */
  readonly samplesWithNaN: number;
}

/** The grid's colors; tests read pixels against these. */
export const SAMPLE_GRID_COLORS = {
  background: [255, 255, 255],
  border: [128, 128, 128],
  emptyCell: [216, 216, 216],
  nan: [255, 0, 0],
  labelBackground: [255, 255, 255],
  labelText: [34, 34, 34],
  wrongBackground: [255, 226, 226],
  wrongText: [200, 0, 0],
  captionText: [17, 17, 17],
} as const satisfies Record<string, Rgb>;

/** Fixed sizes of the layout in pixels. */
export const SAMPLE_GRID_METRICS = {
  /** Frame around and between cells. */
  border: 2,
  /** Space above and below the label text inside a label band. */
  labelPadding: 2,
  /** Space around the caption text inside the caption band. */
  captionPadding: 6,
  /** Caption lines before it is cut with "…". */
  captionMaxLines: 3,
  /** A short grid widens up to this so a caption need not wrap into a tall column. */
  captionMinWidth: 360,
  lineHeight: FIXED_6X13.cellHeight,
} as const;

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface SampleGridLayout {
  readonly width: number;
  readonly height: number;
  readonly columns: number;
  readonly rows: number;
  readonly scale: number;
  /** The caption band (undefined without a caption) and its wrapped lines. */
  readonly caption: (Rect & { readonly lines: readonly string[] }) | undefined;
  /** The framed block holding all cells. */
  readonly grid: Rect;
  /** Per sample: where its image goes and its label band (undefined without labels). */
  readonly cells: readonly { readonly image: Rect; readonly label: Rect | undefined }[];
  /** Unused slots in the last row. */
  readonly emptySlots: readonly Rect[];
  /** Label text lines per sample, fitted to the cell width. */
  readonly labelLines: readonly (readonly string[])[];
}

export interface SampleGridLayoutOptions {
  readonly n: number;
  readonly height: number;
  readonly width: number;
  readonly columns?: number;
  readonly scale?: number;
  readonly labels?: readonly GridLabel[];
  readonly caption?: string;
}

function labelText(label: GridLabel): string {
  return typeof label === "string" ? label : label.text;
}

function isWrong(label: GridLabel | undefined): boolean {
  return label !== undefined && typeof label !== "string" && label.wrong === true;
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(renderMessages.gridBadOption(name, value, `an integer from ${min} to ${max}`));
  }
}

/** Where everything goes, without drawing; renderSampleGrid draws exactly this. */
export function layoutSampleGrid(options: SampleGridLayoutOptions): SampleGridLayout {
  const { n, height, width } = options;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(renderMessages.gridBadCount(n));
  checkInteger("height", height, 1, 4096);
  checkInteger("width", width, 1, 4096);
  const columns = options.columns ?? Math.ceil(Math.sqrt(n));
  checkInteger("columns", columns, 1, 1024);
  const scale = options.scale ?? Math.max(1, Math.floor(96 / Math.max(height, width)));
  checkInteger("scale", scale, 1, 64);
  if (options.labels !== undefined && options.labels.length !== n) {
    throw new RangeError(renderMessages.gridLabelCount(options.labels.length, n));
  }
  const m = SAMPLE_GRID_METRICS;
  const rows = Math.ceil(n / columns);
  const usedColumns = Math.min(columns, n);
  const cellWidth = width * scale;
  const imageHeight = height * scale;

  const labelLines = (options.labels ?? []).map((label) =>
    labelText(label)
      .split("\n")
      .map((line) => fitText(FIXED_6X13, line, cellWidth - 2)),
  );
  const labelLineCount = options.labels === undefined ? 0 : Math.max(1, ...labelLines.map((l) => l.length));
  const labelHeight = labelLineCount === 0 ? 0 : labelLineCount * m.lineHeight + 2 * m.labelPadding;
  const cellHeight = imageHeight + labelHeight;

  const gridWidth = usedColumns * cellWidth + (usedColumns + 1) * m.border;
  const gridHeight = rows * cellHeight + (rows + 1) * m.border;

  const caption = options.caption?.trim();
  let totalWidth = gridWidth;
  let captionRect: SampleGridLayout["caption"];
  if (caption !== undefined && caption !== "") {
    const wanted = textWidth(FIXED_6X13_BOLD, caption) + 2 * m.captionPadding;
    totalWidth = Math.max(gridWidth, Math.min(wanted, m.captionMinWidth));
    const lines = wrapText(FIXED_6X13_BOLD, caption, totalWidth - 2 * m.captionPadding, m.captionMaxLines);
    captionRect = { x: 0, y: 0, width: totalWidth, height: lines.length * m.lineHeight + 2 * m.captionPadding, lines };
  }
  const gridTop = captionRect?.height ?? 0;
  const gridLeft = Math.floor((totalWidth - gridWidth) / 2);
  const grid: Rect = { x: gridLeft, y: gridTop, width: gridWidth, height: gridHeight };

  const slot = (i: number): Rect => ({
    x: gridLeft + m.border + (i % columns) * (cellWidth + m.border),
    y: gridTop + m.border + Math.floor(i / columns) * (cellHeight + m.border),
    width: cellWidth,
    height: cellHeight,
  });
  const cells = Array.from({ length: n }, (_, i) => {
    const s = slot(i);
    return {
      image: { x: s.x, y: s.y, width: cellWidth, height: imageHeight },
      label: labelHeight === 0 ? undefined : { x: s.x, y: s.y + imageHeight, width: cellWidth, height: labelHeight },
    };
  });
  const emptySlots = Array.from({ length: rows * usedColumns - n }, (_, k) => slot(n + k));
  return {
    width: totalWidth,
    height: gridTop + gridHeight,
    columns: usedColumns,
    rows,
    scale,
    caption: captionRect,
    grid,
    cells,
    emptySlots,
    labelLines,
  };
}

interface GridInput {
  readonly data: Float32Array | Float64Array;
  readonly n: number;
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
}

function resolveInput(options: SampleGridOptions): GridInput {
  const { images } = options;
  if (images instanceof Float32Array || images instanceof Float64Array) {
    const channels = options.channels ?? 1;
    const { n, height, width } = options;
    if (n === undefined || !Number.isInteger(n) || n < 1) throw new RangeError(renderMessages.gridBadCount(n));
    if (channels !== 1 && channels !== 3) {
      throw new RangeError(renderMessages.gridBadOption("channels", channels, "1 or 3"));
    }
    checkInteger("height", height ?? NaN, 1, 4096);
    checkInteger("width", width ?? NaN, 1, 4096);
    return { data: images, n, height: height ?? 0, width: width ?? 0, channels };
  }
  if (images.dtype !== "float32" && images.dtype !== "float64") {
    throw new TypeError(renderMessages.gridBadTensorDtype(String((images as { dtype: unknown }).dtype)));
  }
  const shape = images.shape;
  let dims: [number, number, number, number];
  if (shape.length === 3) dims = [shape[0] ?? 0, 1, shape[1] ?? 0, shape[2] ?? 0];
  else if (shape.length === 4 && (shape[1] === 1 || shape[1] === 3)) dims = [shape[0] ?? 0, shape[1], shape[2] ?? 0, shape[3] ?? 0];
  else throw new RangeError(renderMessages.gridBadTensorShape(shape));
  const [n, channels, height, width] = dims;
  // Explicit sizes next to a tensor must agree with its shape: a silent mismatch would draw garbage.
  const pairs = [
    ["n", options.n, n],
    ["channels", options.channels, channels],
    ["height", options.height, height],
    ["width", options.width, width],
  ] as const;
  for (const [name, given, actual] of pairs) {
    if (given !== undefined && given !== actual) throw new RangeError(renderMessages.gridTensorDisagrees(name, given, actual, shape));
  }
  return { data: images.data, n, height, width, channels: channels === 3 ? 3 : 1 };
}

/**
 * Renders samples as a PNG grid. Returns the MIME bundle (image/png + text/plain caption) and
 * the picture's size.
 */
export async function renderSampleGrid(options: SampleGridOptions): Promise<SampleGridResult> {
  const input = resolveInput(options);
  const { data, n, height, width, channels } = input;
  if (data.length !== n * channels * height * width) {
    throw new RangeError(renderMessages.gridLengthMismatch(data.length, n, channels, height, width));
  }
  const [low, high] = options.range;
  if (!Number.isFinite(low) || !Number.isFinite(high) || !(high > low)) {
    throw new RangeError(renderMessages.gridBadRange(options.range));
  }
  const layout = layoutSampleGrid({
    n,
    height,
    width,
    ...(options.columns !== undefined && { columns: options.columns }),
    ...(options.scale !== undefined && { scale: options.scale }),
    ...(options.labels !== undefined && { labels: options.labels }),
    ...(options.caption !== undefined && { caption: options.caption }),
  });
  const colors = SAMPLE_GRID_COLORS;
  const raster = new Raster(layout.width, layout.height, colors.background);
  const { grid } = layout;
  raster.fillRect(grid.x, grid.y, grid.width, grid.height, colors.border);
  for (const slot of layout.emptySlots) raster.fillRect(slot.x, slot.y, slot.width, slot.height, colors.emptyCell);

  if (layout.caption !== undefined) {
    const { x, y, lines } = layout.caption;
    const pad = SAMPLE_GRID_METRICS.captionPadding;
    lines.forEach((line, k) => {
      drawText(raster, FIXED_6X13_BOLD, line, x + pad, y + pad + k * SAMPLE_GRID_METRICS.lineHeight, colors.captionText);
    });
  }

  let samplesWithNaN = 0;
  const sampleSize = channels * height * width;
  for (let i = 0; i < n; i++) {
    const cell = layout.cells[i];
    if (cell === undefined) continue;
    if (drawSample(raster, data, i * sampleSize, input, cell.image, layout.scale, low, high)) samplesWithNaN++;
    if (cell.label !== undefined) {
      const label = options.labels?.[i];
      const wrong = isWrong(label);
      raster.fillRect(cell.label.x, cell.label.y, cell.label.width, cell.label.height, wrong ? colors.wrongBackground : colors.labelBackground);
      const lines = layout.labelLines[i] ?? [];
      lines.forEach((line, k) => {
        const lineWidth = textWidth(FIXED_6X13, line);
        const x = cell.label!.x + Math.floor((cell.label!.width - lineWidth) / 2);
        const y = cell.label!.y + SAMPLE_GRID_METRICS.labelPadding + k * SAMPLE_GRID_METRICS.lineHeight;
        drawText(raster, FIXED_6X13, line, x, y, wrong ? colors.wrongText : colors.labelText);
      });
    }
  }

  const png = await encodePng(raster, options.compressionLevel === undefined ? {} : { compressionLevel: options.compressionLevel });
  const notes: string[] = [];
  if (samplesWithNaN > 0) notes.push(renderMessages.gridNonFinite(samplesWithNaN));
  const wrongCount = options.labels?.filter(isWrong).length ?? 0;
  if (wrongCount > 0) notes.push(renderMessages.gridWrongPredictions(wrongCount, options.labels?.length ?? 0));
  const head = options.caption?.trim() || renderMessages.gridDescription(n, height, width);
  return {
    bundle: { "image/png": png, "text/plain": [head, ...notes].join("\n") },
    width: layout.width,
    height: layout.height,
    samplesWithNaN,
  };
}

/**
 * Draws sample `offset..` into `rect`, each source pixel a scale×scale block. Returns whether the
 * sample had a NaN. One scaled row is written, then copied scale−1 times (memmove).
 */
function drawSample(
  raster: Raster,
  data: Float32Array | Float64Array,
  offset: number,
  input: GridInput,
  rect: Rect,
  scale: number,
  low: number,
  high: number,
): boolean {
  const { height, width, channels } = input;
  const px = raster.pixels;
  const stride = raster.width * 3;
  const plane = height * width;
  const k = 255 / (high - low);
  const [nanR, nanG, nanB] = SAMPLE_GRID_COLORS.nan;
  let sawNaN = false;
  const toByte = (v: number): number => {
    // NaN fails both comparisons and is handled by the caller; ±Infinity clamps.
    const t = (v - low) * k;
    return t <= 0 ? 0 : t >= 255 ? 255 : Math.round(t);
  };
  for (let y = 0; y < height; y++) {
    const rowStart = (rect.y + y * scale) * stride + rect.x * 3;
    let o = rowStart;
    for (let x = 0; x < width; x++) {
      const src = offset + y * width + x;
      let r: number;
      let g: number;
      let b: number;
      if (channels === 1) {
        const v = data[src] ?? NaN;
        if (Number.isNaN(v)) {
          sawNaN = true;
          r = nanR;
          g = nanG;
          b = nanB;
        } else r = g = b = toByte(v);
      } else {
        const vr = data[src] ?? NaN;
        const vg = data[src + plane] ?? NaN;
        const vb = data[src + 2 * plane] ?? NaN;
        if (Number.isNaN(vr) || Number.isNaN(vg) || Number.isNaN(vb)) {
          sawNaN = true;
          r = nanR;
          g = nanG;
          b = nanB;
        } else {
          r = toByte(vr);
          g = toByte(vg);
          b = toByte(vb);
        }
      }
      for (let s = 0; s < scale; s++) {
        px[o++] = r;
        px[o++] = g;
        px[o++] = b;
      }
    }
    const rowBytes = width * scale * 3;
    for (let s = 1; s < scale; s++) px.copyWithin(rowStart + s * stride, rowStart, rowStart + rowBytes);
  }
  return sawNaN;
}

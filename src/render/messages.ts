/**
 * Every user-facing message of the render layer, and its error codes. Tests assert against these
 * same functions (STYLE.md §7).
 */
import { formatLoss } from "../run/format.js";

export const RenderErrorCode = {
  /** sharp/libvips could not encode or rasterise an image. */
  ENCODE_FAILED: "RENDER_ENCODE_FAILED",
  /** The bytes are not an image sharp can read. */
  DECODE_FAILED: "RENDER_DECODE_FAILED",
  /** vega or vega-lite could not be loaded or failed to render the chart. */
  CHART_FAILED: "RENDER_CHART_FAILED",
} as const;

export type RenderErrorCodeValue = (typeof RenderErrorCode)[keyof typeof RenderErrorCode];

function detail(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export const renderMessages = {
  badDimension(where: string, name: string, value: unknown, max: number): string {
    return `${where}: ${name} must be an integer from 1 to ${max}, got ${String(value)}.`;
  },
  badChannels(where: string, value: unknown): string {
    return `${where}: channels must be 1, 2, 3 or 4, got ${String(value)}.`;
  },
  pixelCountMismatch(where: string, length: number, width: number, height: number, channels: number): string {
    return (
      `${where}: pixels has ${length} bytes but ${width}×${height}×${channels} needs ` +
      `${width * height * channels}. Pass row-major, channel-interleaved 8-bit pixels.`
    );
  },
  badCompressionLevel(value: unknown): string {
    return `encodePng: compressionLevel must be an integer from 0 to 9, got ${String(value)}.`;
  },
  badDensity(value: unknown): string {
    return `svgToPng: density must be a number of DPI in (0, 2400], got ${String(value)}.`;
  },
  encodeFailed(what: string, cause: unknown): string {
    return `Rendering a ${what} image with sharp failed: ${detail(cause)}.`;
  },
  decodeFailed(byteLength: number, cause: unknown): string {
    return `Could not decode ${byteLength} bytes as an image: ${detail(cause)}. Pass the bytes of a PNG file.`;
  },

  // Sample grid
  gridBadCount(value: unknown): string {
    return `renderSampleGrid: n must be a positive integer (the number of samples), got ${String(value)}.`;
  },
  gridBadOption(name: string, value: unknown, rule: string): string {
    return `renderSampleGrid: ${name} must be ${rule}, got ${String(value)}.`;
  },
  gridLengthMismatch(length: number, n: number, channels: number, height: number, width: number): string {
    return (
      `renderSampleGrid: images has ${length} values but n×C×H×W = ${n}×${channels}×${height}×${width} = ` +
      `${n * channels * height * width}. Check n, height, width and channels against the sampler's output shape.`
    );
  },
  gridBadTensorShape(shape: readonly number[]): string {
    return (
      `renderSampleGrid: a tensor of images must have shape [N, H, W] or [N, C, H, W] with C = 1 or 3, ` +
      `got [${shape.join(", ")}].`
    );
  },
  gridTensorDisagrees(name: string, given: number, actual: number, shape: readonly number[]): string {
    return `renderSampleGrid: ${name} is ${given} but the images tensor of shape [${shape.join(", ")}] has ${actual}. Leave ${name} out or make them agree.`;
  },
  gridBadTensorDtype(dtype: string): string {
    return `renderSampleGrid: image tensors must be float32 or float64, got ${dtype}. Convert the samples first.`;
  },
  gridBadRange(range: readonly number[]): string {
    return `renderSampleGrid: range must be [low, high] with finite low < high (e.g. [-1, 1] or [0, 1]), got [${range.join(", ")}].`;
  },
  gridLabelCount(labels: number, n: number): string {
    return `renderSampleGrid: labels has ${labels} entries for ${n} samples; give one label per sample.`;
  },
  /** Plain-text description of a grid, used as text/plain when there is no caption. */
  gridDescription(n: number, height: number, width: number): string {
    return `${plural(n, "sample")} (${height}×${width})`;
  },
  gridNonFinite(samplesWithNaN: number): string {
    return `${plural(samplesWithNaN, "sample")} ${samplesWithNaN === 1 ? "contains" : "contain"} NaN (shown in red)`;
  },
  gridWrongPredictions(wrong: number, labelled: number): string {
    return `${wrong} of ${labelled} predictions wrong (marked in red)`;
  },

  emaBadBeta(value: unknown): string {
    return `Ema: beta (the smoothing weight) must be a number in [0, 1), got ${String(value)}.`;
  },

  // Loss chart
  chartBadPoint(series: string, index: number, point: unknown): string {
    return (
      `renderLossChart: ${series}[${index}] must be { step: number, loss: number } with a finite step, ` +
      `got ${JSON.stringify(point)}.`
    );
  },
  chartBadOption(name: string, value: unknown, rule: string): string {
    return `renderLossChart: ${name} must be ${rule}, got ${String(value)}.`;
  },
  chartNonFinite(series: string, count: number): string {
    return `${series}: ${plural(count, "non-finite loss value")} left out`;
  },
  chartEmpty(): string {
    return "no loss recorded yet";
  },
  chartSummary(title: string | undefined, trainPoints: number, lastStep: number | undefined, lastLoss: number | undefined, validationPoints: number): string {
    const head = title ? `${title}: ` : "";
    const last = lastStep === undefined || lastLoss === undefined ? "" : `, last step ${lastStep} loss ${formatLoss(lastLoss)}`;
    const validation = validationPoints > 0 ? `, ${plural(validationPoints, "validation point")}` : "";
    return `${head}loss chart, ${plural(trainPoints, "training point")}${last}${validation}`;
  },
  chartLoadFailed(cause: unknown): string {
    return (
      `Could not load vega/vega-lite to draw the loss chart: ${detail(cause)}. ` +
      `They are dependencies of nbresume; reinstall them with npm install.`
    );
  },
  chartRenderFailed(cause: unknown): string {
    return `vega could not render the loss chart: ${detail(cause)}.`;
  },
};

/**
 * Every user-facing message of the render layer, and its error codes. Tests assert against these
 * same functions (docs/CONTRIBUTING.md, "Messages and errors").
 */
import { formatLoss } from "../shared/format.js";
import { errorMessage } from "../shared/error-message.js";

export const RenderErrorCode = {
  /** sharp/libvips could not encode or rasterise an image. */
  ENCODE_FAILED: "RENDER_ENCODE_FAILED",
  /** The bytes are not an image sharp can read. */
  DECODE_FAILED: "RENDER_DECODE_FAILED",
  /** vega or vega-lite could not be loaded or failed to render the chart. */
  CHART_FAILED: "RENDER_CHART_FAILED",
  /** The bytes end before a WAV header or chunk does. */
  WAV_TRUNCATED: "RENDER_WAV_TRUNCATED",
  /** The bytes are not a RIFF/WAVE file. */
  WAV_NOT_WAVE: "RENDER_WAV_NOT_WAVE",
  /** A chunk's declared size runs past the end of the RIFF chunk, or leaves a partial frame. */
  WAV_BAD_CHUNK: "RENDER_WAV_BAD_CHUNK",
  /** The fmt chunk contradicts itself (block align, byte rate, sizes). */
  WAV_BAD_FORMAT: "RENDER_WAV_BAD_FORMAT",
  /** A valid WAV in an encoding the reader does not decode (e.g. A-law, ADPCM, 12-bit). */
  WAV_UNSUPPORTED: "RENDER_WAV_UNSUPPORTED",
  /** No fmt or no data chunk, or two of either. */
  WAV_MISSING_CHUNK: "RENDER_WAV_MISSING_CHUNK",
  WAV_DUPLICATE_CHUNK: "RENDER_WAV_DUPLICATE_CHUNK",
  /** Bytes after the end the RIFF header declares. */
  WAV_TRAILING_BYTES: "RENDER_WAV_TRAILING_BYTES",
  /** More channels, a higher sample rate or more frames than the reader's caps allow. */
  WAV_TOO_LARGE: "RENDER_WAV_TOO_LARGE",
} as const;

export type RenderErrorCodeValue = (typeof RenderErrorCode)[keyof typeof RenderErrorCode];

function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
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
    return `Rendering a ${what} image with sharp failed: ${errorMessage(cause)}.`;
  },
  decodeFailed(byteLength: number, cause: unknown): string {
    return `Could not decode ${byteLength} bytes as an image: ${errorMessage(cause)}. Pass the bytes of a PNG file.`;
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
    return `renderSampleGrid: a tensor of images must have shape [N, H, W] or [N, C, H, W] with C = 1 or 3, ` + `got [${shape.join(", ")}].`;
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
  /** A picture's stand-in when it carries no text. */
  gridImageDescription(width: number, height: number): string {
    return `image ${width}×${height}`;
  },
  gridNonFinite(samplesWithNaN: number): string {
    return `${plural(samplesWithNaN, "sample")} ${samplesWithNaN === 1 ? "contains" : "contain"} NaN (shown in red)`;
  },
  gridWrongPredictions(wrong: number, labelled: number): string {
    return `${wrong} of ${labelled} predictions wrong (marked in red)`;
  },

  // Loss chart
  chartBadPoint(series: string, index: number, point: unknown): string {
    return `renderLossChart: ${series}[${index}] must be { step: number, loss: number } with a finite step, ` + `got ${JSON.stringify(point)}.`;
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
      `Could not load vega/vega-lite to draw the loss chart: ${errorMessage(cause)}. ` + `They are dependencies of nbresume; reinstall them with npm install.`
    );
  },
  chartRenderFailed(cause: unknown): string {
    return `vega could not render the loss chart: ${errorMessage(cause)}.`;
  },

  // Previews: shared
  previewBadOption(where: string, name: string, value: unknown, rule: string): string {
    return `${where}: ${name} must be ${rule}, got ${describeValue(value)}.`;
  },

  // Text preview
  textBadSample(index: number, field: string, value: unknown): string {
    return `renderTextPreview: samples[${index}].${field} must be a string, got ${describeValue(value)}.`;
  },
  textNoSamples(): string {
    return "renderTextPreview: samples must be a non-empty array of { prompt?, text, label? }.";
  },
  textSummary(count: number, minChars: number, maxChars: number): string {
    const size = minChars === maxChars ? `${minChars}` : `${minChars}–${maxChars}`;
    return `${plural(count, "text")} of ${size} character${maxChars === 1 ? "" : "s"}`;
  },
  textCut(samples: number, maxChars: number): string {
    return `${plural(samples, "sample")} cut at ${maxChars} characters (…)`;
  },
  textReplaced(count: number): string {
    return `${plural(count, "control or invalid character")} shown as a symbol (␛, ␀, �…)`;
  },
  textPromptLegend(): string {
    return "prompt in grey, generated text in black";
  },

  // Plots
  plotBadSpec(value: unknown): string {
    return `renderPlotPreview: spec must be a vega-lite specification (a plain JSON object), got ${describeValue(value)}.`;
  },
  plotBadPoint(where: string, name: string, index: number, point: unknown, rule: string): string {
    return `${where}: ${name}[${index}] must be ${rule}, got ${safeJson(point)}.`;
  },
  plotNonFinite(count: number, what: string): string {
    return `${plural(count, what)} with a non-finite value left out`;
  },
  plotThinned(shown: number, total: number, what: string): string {
    return `${shown} of ${total} ${what}s drawn`;
  },
  plotEmpty(): string {
    return "nothing to plot";
  },
  plotTooManyCells(cells: number, max: number): string {
    return `decisionBoundarySpec: grid has ${cells} cells, more than the ${max} a plot can draw quickly. Use a coarser grid (e.g. 100×100).`;
  },
  plotMixedGrid(): string {
    return (
      "decisionBoundarySpec: every grid cell needs the same fields: a class (the predicted label), a class and a " +
      "probability (the confidence in it), or a probability alone (of the second class, binary classifiers)."
    );
  },
  plotProbabilityRange(index: number, value: number): string {
    return `decisionBoundarySpec: grid[${index}].probability must be in [0, 1], got ${value}.`;
  },
  plotDuplicateSeries(name: string): string {
    return `lineSpec: two series are named "${name}"; give each series its own name (it is the legend entry).`;
  },
  plotSeriesMismatch(name: string, xLength: number, yLength: number): string {
    return `lineSpec: series "${name}" has ${xLength} x values for ${yLength} y values; give one x per y or leave x out.`;
  },
  plotFit(points: number, rmse: number, r2: number | undefined): string {
    const r2Text = r2 === undefined ? "" : ` · R² ${formatLoss(r2)}`;
    return `${plural(points, "point")} · RMSE ${formatLoss(rmse)}${r2Text}`;
  },
  plotPredictionSummary(fit: string): string {
    return `prediction vs target: ${fit}`;
  },
  plotShadingProbability(className: string): string {
    return `shading: P(${className})`;
  },
  plotShadingConfidence(): string {
    return "paler where the model is less sure";
  },
  plotDecisionSummary(cells: number, points: number, classes: number): string {
    return `decision boundary: ${plural(classes, "class", "classes")}, ${plural(cells, "grid cell")}, ${plural(points, "point")}`;
  },
  plotLineSummary(series: readonly string[], points: number): string {
    return `line plot: ${series.join(", ")} (${plural(points, "point")})`;
  },
  plotDescription(): string {
    return "plot";
  },
  plotRenderFailed(cause: unknown): string {
    return `vega could not render the plot: ${errorMessage(cause)}. Check the vega-lite spec (e.g. in the online vega editor).`;
  },

  // Audio
  wavBadChannels(detailText: string): string {
    return `encodeWav: channels must be a Float32Array (mono) or an array of 1 to 64 Float32Arrays of equal length; ${detailText}.`;
  },
  wavTooLong(bytes: number): string {
    return `encodeWav: the WAV would need ${bytes} bytes, more than the 4 GiB a RIFF file can hold. Cut the clip or write several files.`;
  },
  wavNotBytes(value: unknown): string {
    return `decodeWav: bytes must be a Uint8Array, got ${describeValue(value)}.`;
  },
  wavTruncated(what: string, offset: number, needed: number, remaining: number): string {
    return `decodeWav: the file ends inside the ${what} at byte ${offset}: it needs ${needed} bytes there but only ${remaining} remain. The file is cut short; write it again.`;
  },
  wavNotWave(found: string): string {
    return `decodeWav: not a WAV file: it starts with ${found}, not "RIFF" … "WAVE".`;
  },
  wavRiffSize(declared: number, length: number): string {
    return `decodeWav: the RIFF header declares ${declared} bytes but the file has ${length}; the file is cut short.`;
  },
  wavTrailing(declared: number, length: number): string {
    return `decodeWav: the RIFF header declares ${declared} bytes but the file has ${length}: ${length - declared} unexpected bytes follow it.`;
  },
  wavChunkOverrun(id: string, offset: number, size: number, available: number): string {
    return `decodeWav: chunk "${id}" at byte ${offset} declares ${size} bytes but only ${available} remain in the RIFF chunk.`;
  },
  wavPartialFrame(size: number, blockAlign: number): string {
    return `decodeWav: the data chunk holds ${size} bytes, not a whole number of ${blockAlign}-byte frames.`;
  },
  wavMissing(id: string): string {
    return `decodeWav: no "${id}" chunk; a WAV file needs one "fmt " chunk and one "data" chunk.`;
  },
  wavDuplicate(id: string, offset: number): string {
    return `decodeWav: a second "${id}" chunk at byte ${offset}; a WAV file has exactly one.`;
  },
  wavBadFormat(field: string, value: number, expected: string): string {
    return `decodeWav: fmt ${field} is ${value} but ${expected}.`;
  },
  wavUnsupported(what: string): string {
    return `decodeWav: ${what} is not supported; this reader decodes PCM of 8, 16, 24 or 32 bits and IEEE float of 32 or 64 bits.`;
  },
  wavTooLarge(what: string, value: number, max: number): string {
    return `decodeWav: ${what} is ${value}, over the limit of ${max}. Pass a larger limit in the options if the file is trusted.`;
  },

  audioBadClip(index: number, detailText: string): string {
    return `renderAudioPreview: clips[${index}] ${detailText}.`;
  },
  audioClipLine(label: string, seconds: number, sampleRate: number): string {
    return `${label}: ${formatSeconds(seconds)} at ${sampleRate} Hz`;
  },
  audioCut(seconds: number, maxSeconds: number): string {
    return `shown: first ${formatSeconds(maxSeconds)} of ${formatSeconds(seconds)} (the saved file has it all)`;
  },
  audioNonFinite(count: number): string {
    return `${plural(count, "non-finite sample")} written as silence`;
  },
  audioClipped(count: number): string {
    return `${plural(count, "sample")} outside [-1, 1] clipped`;
  },
  audioNotInlined(maxBytes: number): string {
    const size = maxBytes >= 1048576 ? `${+(maxBytes / 1048576).toFixed(1)} MiB` : `${+(maxBytes / 1024).toFixed(1)} KiB`;
    return `not shown inline: the preview's inline audio is capped at ${size} (the file is saved)`;
  },
  audioSummary(clips: number, seconds: number): string {
    return `${plural(clips, "audio clip")} (${formatSeconds(seconds)} in all)`;
  },
  audioWaveformTitle(): string {
    return "waveform";
  },
};

/** `value` for a message: strings quoted, objects by constructor, the rest as String(). */
function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null) return "null";
  if (value instanceof Uint8Array || value instanceof Float32Array || value instanceof Float64Array) {
    return `a ${value.constructor.name} of length ${value.length}`;
  }
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === "object") return `a ${value.constructor?.name ?? "object"}`;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- objects are described above: only primitives get here
  return String(value);
}

/** JSON for a message, never throwing (BigInt, cycles) and never long. */
function safeJson(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

function formatSeconds(seconds: number): string {
  return `${seconds < 10 ? seconds.toFixed(2) : seconds.toFixed(1)} s`;
}

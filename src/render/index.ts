/**
 * The render layer's public surface: pure renderers that return MIME bundles (they never display
 * anything), the vega-lite spec builder, and the image codec they share.
 */
export type { PngBundle, RenderedImage, TextBundle } from "./mime-bundle.js";
export type { RawImage, Rgb, EncodedPng, EncodePngOptions, SvgToPngOptions, CompositeLayer, CompositeCanvas } from "./raw-image.js";
export { encodePng, decodePng, imageSize, svgToPng, compositePng } from "./image.js";
export {
  renderSampleGrid,
  layoutSampleGrid,
  SAMPLE_GRID_COLORS,
  SAMPLE_GRID_METRICS,
  type GridLabel,
  type SampleGridOptions,
  type SampleGridResult,
  type SampleGridLayout,
} from "./sample-grid.js";
export { predictionLabel, type Prediction } from "./prediction-label.js";
export {
  buildLossChartSpec,
  autoSmoothing,
  LOSS_CHART_SERIES,
  LOSS_CHART_DEFAULTS,
  type LossPoint,
  type LossChartSpec,
  type LossChartSpecOptions,
} from "./loss-chart-spec.js";
export type { VegaLiteSpec, JsonValue } from "./vega-lite-spec.js";
export { renderLossChart, lossChartVegaLiteBundle, type LossChartOptions, type LossChartResult } from "./loss-chart.js";
export { dashboardHtml, pngDataUri, type DashboardParts } from "./dashboard-html.js";
export { Ema, emaSeries } from "../shared/ema.js";
export { RenderErrorCode, type RenderErrorCodeValue } from "./messages.js";
// Previews: every kind returns a RenderedPreview (bundle, files, image, summary).
export type { RenderedPreview, PreviewFile } from "./rendered-preview.js";
export { renderTextPreview, TEXT_PREVIEW_DEFAULTS, type TextSample, type TextPreviewOptions } from "./text-preview.js";
export { renderPlotPreview, VEGALITE_MIME, type PlotPreviewOptions } from "./plot-preview.js";
export {
  predictionVsTargetSpec,
  decisionBoundarySpec,
  lineSpec,
  classColors,
  PLOT_COLORS,
  PLOT_PALETTE,
  type TargetPrediction,
  type PredictionVsTargetOptions,
  type ClassLabel,
  type DecisionGridCell,
  type LabelledPoint,
  type DecisionBoundaryOptions,
  type LineSeries,
  type LineSpecOptions,
} from "./plot-specs.js";
export { encodeWav, decodeWav, WAV_LIMITS, type EncodeWavOptions, type EncodedWav, type DecodeWavOptions, type DecodedWav } from "./wav.js";
export { renderAudioPreview, AUDIO_PREVIEW_DEFAULTS, type AudioClip, type AudioPreviewOptions } from "./audio-preview.js";
export { gridPreview } from "./grid-preview.js";

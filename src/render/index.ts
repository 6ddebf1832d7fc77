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
  type VegaLiteSpec,
  type JsonValue,
} from "./loss-chart-spec.js";
export { renderLossChart, lossChartVegaLiteBundle, type LossChartOptions, type LossChartResult } from "./loss-chart.js";
export { dashboardHtml, pngDataUri, type DashboardParts } from "./dashboard-html.js";
export { Ema, emaSeries } from "./ema.js";
export { RenderErrorCode, type RenderErrorCodeValue } from "./messages.js";

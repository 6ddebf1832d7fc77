/**
 * The plot spec builders, in one place to import from: each one lives in its own file and turns
 * a model's outputs into a vega-lite spec for renderPlotPreview.
 */
export {
  predictionVsTargetSpec,
  fitStatistics,
  PREDICTION_VS_TARGET_DEFAULTS,
  type TargetPrediction,
  type PredictionVsTargetOptions,
} from "./prediction-vs-target-spec.js";
export {
  decisionBoundarySpec,
  classColors,
  DECISION_BOUNDARY_DEFAULTS,
  type ClassLabel,
  type DecisionGridCell,
  type LabelledPoint,
  type DecisionBoundaryOptions,
} from "./decision-boundary-spec.js";
export { lineSpec, LINE_SPEC_DEFAULTS, type LineSeries, type LineSpecOptions } from "./line-spec.js";
export { PLOT_COLORS, PLOT_PALETTE, type PlotMeta } from "./plot-spec-base.js";

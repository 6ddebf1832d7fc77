/**
 * A regression model's preview: each validation example as a point at (target, prediction) with
 * the y = x line through the plot. A perfect model puts every point on the line; how far they
 * scatter, and on which side, is what the user checks at each checkpoint.
 */
import type { JsonValue, VegaLiteSpec } from "./vega-lite-spec.js";
import { renderMessages } from "./messages.js";
import { emptyLayer, linearAxis, paddedDomain, PLOT_COLORS, plotFrame, plotSize, strideThin } from "./plot-spec-base.js";

export interface TargetPrediction {
  readonly target: number;
  readonly prediction: number;
}

export interface PredictionVsTargetOptions {
  readonly title?: string;
  /** Size of the whole picture in pixels. Default 420×420. */
  readonly width?: number;
  readonly height?: number;
  /** Most points drawn; more are evenly thinned (the fit statistics use them all). Default 5,000. */
  readonly maxPoints?: number;
  /** Axis titles; default "target" and "prediction". */
  readonly targetTitle?: string;
  readonly predictionTitle?: string;
}

export const PREDICTION_VS_TARGET_DEFAULTS = { width: 420, height: 420, maxPoints: 5000 } as const;

const WHERE = "predictionVsTargetSpec";

/** Builds the scatter of prediction against target with the y = x line, as a vega-lite spec. */
export function predictionVsTargetSpec(points: readonly TargetPrediction[], options: PredictionVsTargetOptions = {}): VegaLiteSpec {
  if (!Array.isArray(points)) throw new TypeError(renderMessages.previewBadOption(WHERE, "points", points, "an array of { target, prediction }"));
  const { width, height, maxPoints } = plotSize(WHERE, options, PREDICTION_VS_TARGET_DEFAULTS);

  const finite: TargetPrediction[] = [];
  let omitted = 0;
  points.forEach((p: TargetPrediction, i) => {
    if (typeof p !== "object" || p === null || typeof p.target !== "number" || typeof p.prediction !== "number") {
      throw new TypeError(renderMessages.plotBadPoint(WHERE, "points", i, p, "{ target: number, prediction: number }"));
    }
    if (Number.isFinite(p.target) && Number.isFinite(p.prediction)) finite.push({ target: p.target, prediction: p.prediction });
    else omitted++;
  });

  const notes: string[] = [];
  if (omitted > 0) notes.push(renderMessages.plotNonFinite(omitted, "point"));
  const drawn = strideThin(finite, maxPoints);
  if (drawn.length < finite.length) notes.push(renderMessages.plotThinned(drawn.length, finite.length, "point"));

  const fit = finite.length === 0 ? undefined : fitStatistics(finite);
  const fitLine = fit === undefined ? "" : renderMessages.plotFit(finite.length, fit.rmse, fit.r2);
  const summary = renderMessages.plotPredictionSummary(fit === undefined ? renderMessages.plotEmpty() : fitLine);

  // One domain for both axes, so the y = x line runs corner to corner at 45°.
  const domain = paddedDomain(
    finite.flatMap((p) => [p.target, p.prediction]),
    0.04,
  );
  const x = linearAxis("target", options.targetTitle ?? "target", domain);
  const y = linearAxis("prediction", options.predictionTitle ?? "prediction", domain);
  const size = drawn.length > 1000 ? 10 : drawn.length > 200 ? 20 : 32;
  const layers: JsonValue[] = [
    {
      data: { values: domain.map((v) => ({ target: v, prediction: v })) },
      mark: { type: "line", color: PLOT_COLORS.diagonal, strokeWidth: 1.5, strokeDash: [6, 4], clip: true },
      encoding: { x, y },
    },
  ];
  layers.push(
    drawn.length === 0
      ? emptyLayer()
      : {
          data: { values: drawn.map((p) => ({ target: p.target, prediction: p.prediction })) },
          mark: { type: "circle", color: PLOT_COLORS.points, opacity: 0.75, size, clip: true },
          encoding: { x, y },
        },
  );
  return {
    ...plotFrame({ width, height, title: options.title ?? "", subtitle: [fitLine, ...notes], meta: { summary, notes } }),
    layer: layers,
  };
}

/** RMSE and R² (undefined when the targets do not vary). */
export function fitStatistics(points: readonly TargetPrediction[]): { rmse: number; r2: number | undefined } {
  let mean = 0;
  for (const p of points) mean += p.target;
  mean /= points.length;
  let residual = 0;
  let total = 0;
  for (const p of points) {
    residual += (p.prediction - p.target) ** 2;
    total += (p.target - mean) ** 2;
  }
  return { rmse: Math.sqrt(residual / points.length), r2: total > 0 ? 1 - residual / total : undefined };
}

/** Captions for classifier predictions in a sample grid. */
import type { GridLabel } from "./sample-grid.js";

export interface Prediction {
  /** The predicted class, as shown (a digit, a class name). */
  readonly predicted: string | number;
  /** The model's probability for the predicted class, 0–1. */
  readonly probability?: number;
  /** The true class, when known; a mismatch marks the cell as wrong. */
  readonly truth?: string | number;
}

/**
 * "7 (p=0.98)" for a right prediction; a wrong one is marked (red in the grid) and names the
 * truth on a second line: "7 (p=0.98)\ntrue 2".
 */
export function predictionLabel(prediction: Prediction): GridLabel {
  const { predicted, probability, truth } = prediction;
  const p = probability === undefined || !Number.isFinite(probability) ? "" : ` (p=${probability.toFixed(2)})`;
  const text = `${predicted}${p}`;
  const wrong = truth !== undefined && String(truth) !== String(predicted);
  return wrong ? { text: `${text}\ntrue ${truth}`, wrong: true } : { text };
}

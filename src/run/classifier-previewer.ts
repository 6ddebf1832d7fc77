/**
 * A classifier's grid: fixed held-out images with the predicted label and its probability, wrong
 * ones marked. One forward pass of a few images through an inference graph with the parameters
 * baked in, on the caller's thread (a few ms: not worth a thread).
 */
import type { Batch } from "../engine/data/batch.js";
import { buildInferenceModel } from "../engine/export.js";
import type { Model } from "../engine/nn/model.js";
import { compileGraph } from "../engine/runtime/ort-runtime.js";
import { predictionLabel } from "../render/prediction-label.js";
import { renderSampleGrid } from "../render/sample-grid.js";
import type { TensorGroup } from "../tensor.js";
import { runMessages as msg } from "./messages.js";
import type { GridOutcome, Previewer, PreviewSettings } from "./preview.js";

export class ClassifierPreviewer implements Previewer {
  readonly kind = "predictions";
  readonly offThread = false;
  readonly samplerReady = undefined;
  private readonly rows: Int32Array;

  constructor(
    private readonly model: Model<Batch>,
    private readonly settings: PreviewSettings,
  ) {
    // Evenly spaced rows: MNIST's held-out set is ordered by digit, so this shows every digit.
    const { count } = settings.images;
    const n = Math.min(settings.samples, count);
    this.rows = Int32Array.from({ length: n }, (_, i) => Math.floor((i * count) / n));
  }

  start(_gridSoon: boolean): void {}

  async close(): Promise<void> {}

  async request(parameters: TensorGroup, caption: string): Promise<GridOutcome> {
    const data = this.settings.images;
    const [height, width] = data.shape;
    const pixels = height * width;
    const n = this.rows.length;
    const images = new Float32Array(n * pixels);
    this.rows.forEach((row, i) => images.set(data.images.subarray(row * pixels, (row + 1) * pixels), i * pixels));
    const { bytes } = buildInferenceModel(this.model, parameters, { graph: "predict", batchSize: n });
    const { threads } = this.settings;
    const compiled = await compileGraph(bytes, threads === undefined ? {} : { threads });
    let out;
    try {
      out = await compiled.run({ images: { dtype: "float32", shape: [n, pixels], data: images } });
    } finally {
      await compiled.release();
    }
    const logits = out["logits"]?.data;
    if (!(logits instanceof Float32Array) || logits.length !== n * data.classes) {
      throw new Error(msg.badPredictOutput(logits === undefined ? undefined : logits.length, n, data.classes));
    }
    const labels = Array.from({ length: n }, (_, i) => {
      const row = logits.subarray(i * data.classes, (i + 1) * data.classes);
      let best = 0;
      for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
      let sum = 0;
      for (const v of row) sum += Math.exp(v - row[best]!);
      return predictionLabel({ predicted: best, probability: 1 / sum, truth: data.labels[this.rows[i]!]! });
    });
    return { grid: await renderSampleGrid({ images, n, height, width, range: [0, 1], labels, caption }), offThread: false };
  }
}

/**
 * What a model can show of itself as a sample grid: generated images for a diffusion model
 * (DDIM from the same generator fork every time, so successive grids show the same samples getting
 * better), predictions with their labels for a classifier (fixed held-out images, wrong ones
 * marked). Nothing here touches the training generator.
 *
 * Each grid runs an inference graph built from the session's current parameters as initializers
 * (engine/export.ts) rather than the session's bound graph, which takes them as inputs: onnxruntime
 * prepacks constant convolution weights: 16 samples of 20 DDIM steps of the tiny UNet took 1.0 s
 * that way against 2.0 s through the bound graph (same machine, same load), far more than the
 * 0.03–0.1 s the inference graph takes to build and compile.
 */
import type { Batch } from "../engine/data/batch.js";
import type { Dataset } from "../engine/data/dataset.js";
import { sampleDdim } from "../engine/diffusion/ddim-sampler.js";
import { SAMPLE_GRAPH, type DiffusionSpec } from "../engine/diffusion/ddpm-model.js";
import type { Model } from "../engine/nn/model.js";
import type { Generator } from "../engine/random/generator.js";
import { buildInferenceModel } from "../engine/export.js";
import type { Feeds } from "../engine/nn/model.js";
import { compileGraph } from "../engine/runtime/ort-runtime.js";
import type { Tensor, TensorGroup } from "../tensor.js";
import { predictionLabel } from "../render/prediction-label.js";
import { renderSampleGrid, type SampleGridResult } from "../render/sample-grid.js";
import { runMessages as msg } from "./messages.js";

export interface Previewer {
  /** What the grid shows, for captions: "samples" or "predictions". */
  readonly kind: "samples" | "predictions";
  /** The grid for these parameters (the session's current ones, or a checkpoint's). */
  render(parameters: TensorGroup, caption: string): Promise<SampleGridResult>;
}

export interface PreviewSettings {
  readonly samples: number;
  readonly samplerSteps: number;
  readonly eta: number;
  /** onnxruntime threads (default 2). */
  readonly threads: number | undefined;
  /** A fresh generator for each grid (the same stream every time). */
  readonly generator: () => Generator;
  /** Held-out (else training) images for the classifier. */
  readonly images: Dataset;
}

function isDiffusion(model: Model<Batch>): model is Model<Batch> & DiffusionSpec {
  const m = model as Partial<DiffusionSpec> & Model<Batch>;
  return m.graphs?.[SAMPLE_GRAPH] !== undefined && typeof m.schedule === "object" && Array.isArray(m.imageShape);
}

/** Compiles `graph` of the model with `parameters` baked in, runs `use`, releases it. */
async function withInferenceGraph<T>(
  model: Model<Batch>,
  parameters: TensorGroup,
  graph: string,
  batchSize: number,
  threads: number | undefined,
  use: (run: (feeds: Feeds) => Promise<Record<string, Tensor>>) => Promise<T>,
): Promise<T> {
  const { bytes } = buildInferenceModel(model, parameters, { graph, batchSize });
  const compiled = await compileGraph(bytes, threads === undefined ? {} : { threads });
  try {
    return await use((feeds) => compiled.run(feeds));
  } finally {
    await compiled.release();
  }
}

class DiffusionPreviewer implements Previewer {
  readonly kind = "samples";
  constructor(
    private readonly model: Model<Batch> & DiffusionSpec,
    private readonly settings: PreviewSettings,
  ) {}

  async render(parameters: TensorGroup, caption: string): Promise<SampleGridResult> {
    const { samples: n, samplerSteps, eta, threads } = this.settings;
    const steps = Math.min(samplerSteps, this.model.schedule.steps);
    const images = await withInferenceGraph(this.model, parameters, SAMPLE_GRAPH, n, threads, (run) =>
      sampleDdim({ batchSize: n, run }, this.model, this.settings.generator(), { steps, eta }),
    );
    // The model works in [−1, 1] (x_0 = 2·pixels − 1).
    return renderSampleGrid({ images, range: [-1, 1], caption });
  }
}

class ClassifierPreviewer implements Previewer {
  readonly kind = "predictions";
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

  async render(parameters: TensorGroup, caption: string): Promise<SampleGridResult> {
    const data = this.settings.images;
    const [height, width] = data.shape;
    const pixels = height * width;
    const n = this.rows.length;
    const images = new Float32Array(n * pixels);
    this.rows.forEach((row, i) => images.set(data.images.subarray(row * pixels, (row + 1) * pixels), i * pixels));
    const out = await withInferenceGraph(this.model, parameters, "predict", n, this.settings.threads, (run) =>
      run({ images: { dtype: "float32", shape: [n, pixels], data: images } }),
    );
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
    return renderSampleGrid({ images, n, height, width, range: [0, 1], labels, caption });
  }
}

/** The previewer for this model, or why there is none. */
export function choosePreviewer(model: Model<Batch>, settings: PreviewSettings): Previewer | { reason: string } {
  if (isDiffusion(model)) return new DiffusionPreviewer(model, settings);
  if (model.graphs?.["predict"] !== undefined) return new ClassifierPreviewer(model, settings);
  return { reason: msg.noPreviewForModel() };
}

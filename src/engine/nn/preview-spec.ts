/**
 * What a model shows of itself (interface only): a preview the run draws inline before it resumes
 * and beside each checkpoint. A model declares its previews; the run knows nothing of model kinds.
 *
 * A preview is data — a registered `kind` ("image-samples", "text-generation", "plot", "audio", …)
 * and its JSON `settings` — so the run can store it and draw it later without the code that
 * defined the model (on a sampler thread, after a kernel restart). The run layer implements the
 * kinds (src/run/previews/); builders such as `textPreview({ … })` make the specs.
 *
 * A `custom` preview carries your own function instead: it is drawn on the training thread and
 * only while your code is loaded.
 */
import type { Tensor } from "../../tensor.js";
import type { Dataset } from "../data/dataset.js";
import type { Generator } from "../random/generator.js";
import type { JsonObject } from "./json.js";

/** What your own preview function is given. */
export interface PreviewContext {
  /** The step of the parameters being previewed (0 before training). */
  readonly step: number;
  /** "step 500 · loss 0.0375 · rolling checkpoint": put it under what you draw. */
  readonly caption: string;
  /**
   * Runs one of the model's graphs (`model.graphs[name]`, built for `batchSize`, default the
   * first dim of the first feed) with the parameters being previewed.
   */
  run(graph: string, feeds: Readonly<Record<string, Tensor>>, batchSize?: number): Promise<Record<string, Tensor>>;
  /** The held-out data, else the training data. */
  readonly data: Dataset | undefined;
  /** The same stream for every preview of the run: successive previews compare. */
  readonly rng: Generator;
}

/** What your own preview function returns: any of these, shown in this order. */
export interface CustomPreviewResult {
  readonly text?: string;
  readonly markdown?: string;
  readonly html?: string;
  /** PNG bytes. */
  readonly png?: Uint8Array;
  /** A vega-lite spec, rendered to PNG (and kept as JSON). */
  readonly vegaLite?: JsonObject;
  /** Audio clips, written as WAV files and shown with `<audio>`. */
  readonly audio?: readonly { readonly samples: Float32Array; readonly sampleRate: number; readonly label?: string }[];
}

export type CustomPreviewFn = (context: PreviewContext) => Promise<CustomPreviewResult> | CustomPreviewResult;

export interface PreviewSpec {
  /** A registered preview kind. */
  readonly kind: string;
  /** The kind's settings: plain JSON, stored with the run. */
  readonly settings: JsonObject;
  /** Only for kind "custom": your function (not stored). */
  readonly render?: CustomPreviewFn;
}

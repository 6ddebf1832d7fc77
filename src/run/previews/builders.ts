/**
 * The previews a model can declare (`previews: [textPreview({ … })]` in defineModel), typed. Each
 * returns plain data — a kind and its settings — that the run stores, so the preview can be drawn
 * without the model's code. Every setting has a default; the kind's file says what it draws.
 */
import type { JsonObject } from "../../engine/nn/json.js";
import type { CustomPreviewFn, PreviewSpec } from "../../engine/nn/preview-spec.js";

type Settings<T> = { readonly [K in keyof T]?: T[K] };

function spec(kind: string, settings: object): PreviewSpec {
  return { kind, settings: JSON.parse(JSON.stringify(settings)) as JsonObject };
}

/** Images a diffusion model draws from noise with DDIM (graph inputs x, t → output eps). */
export function samplesPreview(
  settings: Settings<{ graph: string; imageShape: readonly number[]; schedule: JsonObject; samples: number; samplerSteps: number; eta: number }> & {
    imageShape: readonly number[];
    schedule: JsonObject;
  },
): PreviewSpec {
  return spec("diffusion-samples", settings);
}

/** A classifier's predictions on fixed held-out images, labelled, wrong ones in red. */
export function predictionsPreview(
  settings: Settings<{
    graph: string;
    input: string;
    output: string;
    imageColumn: string;
    labelColumn: string;
    imageShape: readonly number[];
    samples: number;
  }> = {},
): PreviewSpec {
  return spec("image-predictions", settings);
}

/** Text a language model writes, continuing windows of held-out text (graph: ids [n, context] → logits). */
export function textPreview(
  settings: Settings<{
    graph: string;
    input: string;
    output: string;
    column: string;
    samples: number;
    length: number;
    temperature: number;
    topK: number;
    promptChars: number;
  }> = {},
): PreviewSpec {
  return spec("text-generation", settings);
}

/** Predictions against targets on held-out rows (a scatter with the y = x line). */
export function regressionPreview(
  settings: Settings<{ graph: string; input: string; output: string; inputColumn: string; targetColumn: string; samples: number }> = {},
): PreviewSpec {
  return spec("regression-plot", settings);
}

/** The class a 2-D classifier predicts over the plane, with held-out points on top. */
export function decisionBoundaryPreview(
  settings: Settings<{ graph: string; input: string; output: string; inputColumn: string; labelColumn: string; resolution: number; points: number }> = {},
): PreviewSpec {
  return spec("decision-boundary", settings);
}

/** Clips a model generates (output [n, samples] in [−1, 1]), as WAV files and `<audio>` players. */
export function audioPreview(
  settings: Settings<{
    graph: string;
    output: string;
    sampleRate: number;
    samples: number;
    inputs: Readonly<Record<string, string>>;
    noise: Readonly<Record<string, readonly number[]>>;
  }>,
): PreviewSpec {
  return spec("audio", settings);
}

/**
 * Your own preview: `render(context)` runs your graphs (context.run) and returns text, markdown,
 * HTML, PNG bytes, a vega-lite spec or audio. Drawn on the training thread, while your code is loaded.
 */
export function customPreview(render: CustomPreviewFn, settings: JsonObject = {}): PreviewSpec {
  if (typeof render !== "function") throw new TypeError(`customPreview: expected a function (context) => result, got ${typeof render}.`);
  return { kind: "custom", settings, render };
}

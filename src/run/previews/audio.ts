/**
 * "audio": clips a model produces — its graph's output [n, samples] (or [n, channels, samples])
 * float32 in [−1, 1], from held-out rows of the columns it names (a TTS model's text, a vocoder's
 * features) and/or standard normal noise drawn from the preview generator. Written as WAV files
 * beside the checkpoint and shown with `<audio>` controls. Heavy: drawn on the sampler thread.
 *
 *   { kind: "audio", settings: { graph: "generate", output: "audio", sampleRate: 16000, samples: 2,
 *     inputs: { text: "text" }, noise: { z: [64] } } }
 */
import type { JsonObject } from "../../engine/nn/json.js";
import { elementCount, type Tensor } from "../../tensor.js";
import { degenerateSamples } from "./preview-check.js";
import type { PreviewKind } from "./preview-kind.js";
import { columnOf, takeRows } from "./rows.js";
import { evenlySpacedRows, numberSetting, stringSetting } from "./settings.js";

const KIND = "audio";

function record(kind: string, settings: JsonObject, name: string): JsonObject {
  const v = Object.hasOwn(settings, name) ? settings[name] : undefined;
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw new RangeError(`Preview '${kind}': setting '${name}' must be an object, got ${JSON.stringify(v)}.`);
  return v as JsonObject;
}

export const audioKind: PreviewKind = {
  kind: KIND,
  heavy: true,
  prepare(settings, _model, data, overrides) {
    const samples =
      overrides.samples === undefined ? numberSetting(KIND, settings, "samples", 2, { min: 1, max: 16, integer: true }) : Math.min(overrides.samples, 4);
    const inputs = record(KIND, settings, "inputs");
    const noise = record(KIND, settings, "noise");
    const rows = data === undefined ? new Int32Array(samples) : evenlySpacedRows(data.count, samples);
    const tensors: Record<string, Tensor> = {};
    for (const [input, column] of Object.entries(inputs)) {
      if (typeof column !== "string") throw new RangeError(`Preview '${KIND}': inputs.${input} must name a data column, got ${JSON.stringify(column)}.`);
      tensors[input] = takeRows(columnOf(KIND, data, column), rows);
    }
    for (const [input, shape] of Object.entries(noise)) {
      if (!Array.isArray(shape) || !shape.every((d) => typeof d === "number" && Number.isSafeInteger(d) && d > 0))
        throw new RangeError(`Preview '${KIND}': noise.${input} must be a shape like [64], got ${JSON.stringify(shape)}.`);
    }
    if (Object.keys(inputs).length === 0 && Object.keys(noise).length === 0)
      throw new RangeError(`Preview '${KIND}': name the graph's inputs (settings.inputs: { input: column }) or its noise (settings.noise: { input: shape }).`);
    const completed: JsonObject = {
      graph: stringSetting(KIND, settings, "graph", "generate"),
      output: stringSetting(KIND, settings, "output", "audio"),
      sampleRate: numberSetting(KIND, settings, "sampleRate", 16000, { min: 1, max: 384000, integer: true }),
      samples: rows.length,
      inputs,
      noise,
    };
    return { kind: KIND, settings: completed, tensors, graphs: [{ graph: completed["graph"] as string, batchSize: rows.length }] };
  },
  async compute(prepared, context) {
    const s = prepared.settings;
    const n = s["samples"] as number;
    const feeds: Record<string, Tensor> = { ...prepared.tensors };
    for (const [input, shape] of Object.entries(s["noise"] as JsonObject)) {
      const full = [n, ...(shape as number[])];
      feeds[input] = { dtype: "float32", shape: full, data: context.rng.fillNormal(new Float32Array(elementCount(full)), 0, 1) };
    }
    const out = await context.run(s["graph"] as string, n, feeds);
    const audio = out[s["output"] as string];
    if (audio === undefined || audio.dtype !== "float32" || audio.shape[0] !== n || audio.shape.length < 2 || audio.shape.length > 3) {
      throw new Error(
        `Preview '${KIND}': graph '${s["graph"] as string}' output '${s["output"] as string}' should be float32 [${n}, samples] or [${n}, channels, samples], got ${audio === undefined ? "nothing" : `${audio.dtype}[${audio.shape.join(", ")}]`}.`,
      );
    }
    return { tensors: { audio }, json: {} };
  },
  async render(prepared, result, caption) {
    const { renderAudioPreview } = await import("../../render/audio-preview.js");
    const audio = result.tensors["audio"]!;
    const n = audio.shape[0]!;
    const per = audio.data.length / n;
    const channels = audio.shape.length === 3 ? audio.shape[1]! : 1;
    const length = per / channels;
    const sampleRate = prepared.settings["sampleRate"] as number;
    const data = audio.data as Float32Array;
    const clips = Array.from({ length: n }, (_, i) => {
      // The first channel: previews are heard, not measured.
      return { samples: data.slice(i * per, i * per + length), sampleRate, label: `sample ${i + 1}${channels > 1 ? ` (channel 1 of ${channels})` : ""}` };
    });
    return renderAudioPreview({ clips, caption });
  },
  check(_prepared, result) {
    return degenerateSamples(KIND, "clips", result.tensors["audio"]);
  },
};

/**
 * "diffusion-samples": a grid of images a diffusion model draws from noise — DDIM on the model's
 * denoising graph (inputs x_t and t, output ε̂), the same generator fork every time, so successive
 * grids show the same samples getting better.
 *
 *   { kind: "diffusion-samples", settings: { graph: "sample", imageShape: [1, 28, 28],
 *     schedule: { kind: "linear", steps: 1000 }, samples: 16, samplerSteps: 20, eta: 1 } }
 *
 * Heavy (20 graph runs): drawn on the sampler thread while training goes on.
 */
import { sampleDdim } from "../../engine/diffusion/ddim-sampler.js";
import { SAMPLE_EPS, SAMPLE_T, SAMPLE_X } from "../../engine/diffusion/ddpm-model.js";
import { noiseSchedule, type NoiseScheduleConfig } from "../../engine/diffusion/noise-schedule.js";
import type { JsonObject } from "../../engine/nn/json.js";
import { degenerateSamples } from "./preview-check.js";
import { SamplingStopped } from "./sampling-stopped.js";
import type { PreviewKind, PreparedPreview } from "./preview-kind.js";
import { numberArraySetting, numberSetting, objectSetting, stringSetting } from "./settings.js";

const KIND = "diffusion-samples";

function imageShapeOf(p: PreparedPreview): [number, number, number] {
  const shape = numberArraySetting(KIND, p.settings, "imageShape");
  if (shape.length !== 3 || !shape.every((d) => Number.isSafeInteger(d) && d > 0))
    throw new RangeError(`Preview '${KIND}': setting 'imageShape' must be [channels, height, width], got ${JSON.stringify(shape)}.`);
  return shape as [number, number, number];
}

export const diffusionSamplesKind: PreviewKind = {
  kind: KIND,
  heavy: true,
  prepare(settings, _model, _data, overrides) {
    const schedule = objectSetting(KIND, settings, "schedule");
    const steps = noiseSchedule(schedule as unknown as NoiseScheduleConfig).steps;
    const samples = overrides.samples ?? numberSetting(KIND, settings, "samples", 16, { min: 1, max: 256, integer: true });
    const completed: JsonObject = {
      graph: stringSetting(KIND, settings, "graph", "sample"),
      imageShape: numberArraySetting(KIND, settings, "imageShape"),
      schedule,
      samples,
      samplerSteps: Math.min(steps, overrides.samplerSteps ?? numberSetting(KIND, settings, "samplerSteps", 20, { min: 1, integer: true })),
      eta: overrides.eta ?? numberSetting(KIND, settings, "eta", 1, { min: 0, max: 1 }),
    };
    const prepared = { kind: KIND, settings: completed, tensors: {}, graphs: [{ graph: completed["graph"] as string, batchSize: samples }] };
    imageShapeOf(prepared);
    return prepared;
  },
  async compute(prepared, context) {
    const s = prepared.settings;
    const graph = s["graph"] as string;
    const samples = s["samples"] as number;
    const spec = { schedule: noiseSchedule(s["schedule"] as unknown as NoiseScheduleConfig), imageShape: imageShapeOf(prepared) };
    const onStep = (done: number, total: number): void => {
      if (context.stopped() && done < total) throw new SamplingStopped(`stopped after ${done} of ${total} DDIM steps`);
    };
    if (context.stopped()) throw new SamplingStopped("stopped before it began");
    const x = await sampleDdim(
      {
        batchSize: samples,
        run: async (feeds) => {
          const out = await context.run(graph, samples, { [SAMPLE_X]: feeds[SAMPLE_X]!, [SAMPLE_T]: feeds[SAMPLE_T]! });
          const eps = out[SAMPLE_EPS] ?? Object.values(out)[0];
          if (eps === undefined) throw new Error(`Preview '${KIND}': graph '${graph}' returned no output.`);
          return { [SAMPLE_EPS]: eps };
        },
      },
      spec,
      context.rng,
      { steps: s["samplerSteps"] as number, eta: s["eta"] as number, onStep },
    );
    return { tensors: { samples: x }, json: {} };
  },
  async render(prepared, result, caption) {
    const { renderSampleGrid } = await import("../../render/sample-grid.js");
    const { gridPreview } = await import("../../render/grid-preview.js");
    const shape = [prepared.settings["samples"] as number, ...imageShapeOf(prepared)];
    const data = result.tensors["samples"]!.data as Float32Array;
    // The model works in [−1, 1] (x_0 = 2·pixels − 1).
    return gridPreview(await renderSampleGrid({ images: { dtype: "float32", shape, data }, range: [-1, 1], caption }), caption);
  },
  check(_prepared, result) {
    return degenerateSamples(KIND, "samples", result.tensors["samples"]);
  },
};

/** User-facing messages of the diffusion models and samplers (tests assert against these functions). */
import { formatShape } from "../graph/shape.js";

export const diffusionMessages = {
  badScheduleSteps(steps: number): string {
    return `noiseSchedule: steps must be an integer ≥ 2, got ${steps}.`;
  },
  badLinearBetas(start: number, end: number): string {
    return `noiseSchedule: need 0 < betaStart ≤ betaEnd < 1, got ${start} and ${end}.`;
  },
  badScheduleKind(kind: unknown): string {
    return `noiseSchedule: kind must be "linear" or "cosine", got ${JSON.stringify(kind)}.`;
  },
  unknownPreset(name: string, known: readonly string[]): string {
    return `ddpm: unknown UNet preset '${name}' (known: ${known.join(", ")}); pass one of those or a full UNet config.`;
  },
  badBatch(imageShape: readonly number[], images: unknown): string {
    const pixels = imageShape.reduce((a, b) => a * b, 1);
    const got =
      images instanceof Float32Array
        ? `${images.length} values`
        : images === null
          ? "null"
          : typeof images === "object"
            ? images.constructor.name
            : typeof images;
    return `ddpm: a batch's images must be a Float32Array of n × ${pixels} values (n ≥ 1 images of ${imageShape.join("×")}, in [0, 1]), got ${got}.`;
  },
  badSamplerSteps(sampler: string, steps: unknown, max: number): string {
    return `${sampler}: steps must be an integer in [1, ${max}] (the schedule's T), got ${String(steps)}.`;
  },
  badEta(eta: unknown): string {
    return `sampleDdim: eta must be a number in [0, 1] (0: deterministic DDIM, 1: DDPM-like noise), got ${String(eta)}.`;
  },
  badInitialNoise(expected: number, got: number): string {
    return `sampler: initialNoise must hold ${expected} values (batch × image size), got ${got}.`;
  },
  badDenoiserOutput(name: string, expected: readonly number[], got: { dtype: string; shape: readonly number[] } | undefined): string {
    return got === undefined
      ? `sampler: the denoiser returned no '${name}' output; pass the model's "sample" graph (session.graph("sample", n)).`
      : `sampler: the denoiser's '${name}' output is ${got.dtype}${formatShape(got.shape)}, expected float32${formatShape(expected)}.`;
  },
};

/**
 * DDIM sampling (Song et al. 2021) with a few network evaluations on a subsequence τ of the
 * timesteps. With η = 0 (default) it is deterministic given x_T.
 *
 *   τ = ("trailing" spacing) round((i+1)·T/S) − 1 for i = 0..S−1, so the first step is t = T−1
 *   x̂_0 = (x_t − √(1−ᾱ_t)·ε̂) / √ᾱ_t     clipped to [−1, 1] (then ε̂ re-derived from it) unless clipDenoised is false
 *   σ   = η·√((1−ᾱ_prev)/(1−ᾱ_t))·√(1 − ᾱ_t/ᾱ_prev)
 *   x_prev = √ᾱ_prev·x̂_0 + √(1−ᾱ_prev−σ²)·ε̂ + σ·z          (ᾱ_prev = 1 after the last step)
 *
 * Trailing spacing starts from pure noise at t = T−1 (Lin et al. 2024 show leading spacing, which
 * starts at T − T/S, leaves signal the model never saw). Randomness: x_T (unless given), then for
 * η > 0 one batch of normals per step, all from `rng`.
 */
import { tensor, type Tensor } from "../../tensor.js";
import type { Generator } from "../random/generator.js";
import type { DiffusionSpec } from "./ddpm-model.js";
import type { Denoiser, SamplerOptions } from "./denoiser.js";
import { diffusionMessages as msg } from "./messages.js";
import { predictNoise, startingNoise } from "./predict-noise.js";

export interface DdimOptions extends SamplerOptions {
  /** Network evaluations S (default 20). */
  readonly steps?: number;
  /** 0 = deterministic DDIM (default); 1 = the DDPM posterior's noise level. */
  readonly eta?: number;
}

/** The S timesteps DDIM visits, in sampling order (descending, first T−1). */
export function ddimTimesteps(totalSteps: number, steps: number): number[] {
  if (!Number.isSafeInteger(steps) || steps < 1 || steps > totalSteps) throw new RangeError(msg.badSamplerSteps("sampleDdim", steps, totalSteps));
  return Array.from({ length: steps }, (_, i) => Math.round(((steps - i) * totalSteps) / steps) - 1);
}

export async function sampleDdim(denoiser: Denoiser, model: DiffusionSpec, rng: Generator, options: DdimOptions = {}): Promise<Tensor<"float32">> {
  const { schedule } = model;
  const eta = options.eta ?? 0;
  if (typeof eta !== "number" || !(eta >= 0 && eta <= 1)) throw new RangeError(msg.badEta(eta));
  const taus = ddimTimesteps(schedule.steps, options.steps ?? 20);
  const shape = [denoiser.batchSize, ...model.imageShape];
  const count = shape.reduce((a, b) => a * b, 1);
  const clip = options.clipDenoised ?? true;
  let x = startingNoise(count, options.initialNoise, (out) => rng.fillNormal(out, 0, 1));
  const z = new Float32Array(count);
  for (const [k, t] of taus.entries()) {
    const eps = await predictNoise(denoiser, x, t, shape);
    const abar = schedule.alphaBars[t]!;
    const next = taus[k + 1];
    const abarPrev = next === undefined ? 1 : schedule.alphaBars[next]!;
    const sa = Math.sqrt(abar);
    const s1a = Math.sqrt(1 - abar);
    const sigma = eta * Math.sqrt((1 - abarPrev) / (1 - abar)) * Math.sqrt(1 - abar / abarPrev);
    const dirCoef = Math.sqrt(Math.max(0, 1 - abarPrev - sigma * sigma));
    const sap = Math.sqrt(abarPrev);
    if (sigma > 0) rng.fillNormal(z, 0, 1);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      let e = eps[i]!;
      let x0 = (x[i]! - s1a * e) / sa;
      if (clip && (x0 < -1 || x0 > 1)) {
        x0 = x0 < -1 ? -1 : 1;
        e = (x[i]! - sa * x0) / s1a;
      }
      out[i] = sap * x0 + dirCoef * e + (sigma > 0 ? sigma * z[i]! : 0);
    }
    x = out;
    options.onStep?.(k + 1, taus.length);
  }
  return tensor("float32", shape, x);
}

/**
 * Ancestral DDPM sampling (Ho et al. 2020, algorithm 2): T network evaluations, t = T−1 … 0.
 *
 *   x̂_0 = (x_t − √(1−ᾱ_t)·ε̂) / √ᾱ_t                    clipped to [−1, 1] unless clipDenoised is false
 *   μ   = √ᾱ_{t−1}·β_t/(1−ᾱ_t) · x̂_0 + √α_t·(1−ᾱ_{t−1})/(1−ᾱ_t) · x_t     (the posterior mean)
 *   x_{t−1} = μ + σ_t·z,  z ~ N(0, I) for t > 0,  σ_t² = β̃_t = β_t·(1−ᾱ_{t−1})/(1−ᾱ_t)
 *
 * Without clipping μ equals (x_t − β_t/√(1−ᾱ_t)·ε̂)/√α_t, the paper's form. The coefficients are
 * float64; the state is float32 (what the graph takes). Randomness: x_T (unless given), then one
 * batch of normals per step t > 0, all from `rng`, so the same seed gives bitwise the same images.
 */
import { tensor, type Tensor } from "../../tensor.js";
import type { Generator } from "../random/generator.js";
import type { DiffusionSpec } from "./ddpm-model.js";
import type { Denoiser, SamplerOptions } from "./denoiser.js";
import { predictNoise, startingNoise } from "./predict-noise.js";

export async function sampleDdpm(denoiser: Denoiser, model: DiffusionSpec, rng: Generator, options: SamplerOptions = {}): Promise<Tensor<"float32">> {
  const { schedule } = model;
  const shape = [denoiser.batchSize, ...model.imageShape];
  const count = shape.reduce((a, b) => a * b, 1);
  const clip = options.clipDenoised ?? true;
  let x = startingNoise(count, options.initialNoise, (out) => rng.fillNormal(out, 0, 1));
  const z = new Float32Array(count);
  const T = schedule.steps;
  for (let t = T - 1; t >= 0; t--) {
    const eps = await predictNoise(denoiser, x, t, shape);
    const abar = schedule.alphaBars[t]!;
    const abarPrev = t > 0 ? schedule.alphaBars[t - 1]! : 1;
    const beta = schedule.betas[t]!;
    const sa = Math.sqrt(abar);
    const s1a = Math.sqrt(1 - abar);
    const c0 = (Math.sqrt(abarPrev) * beta) / (1 - abar);
    const ct = (Math.sqrt(schedule.alphas[t]!) * (1 - abarPrev)) / (1 - abar);
    const sigma = t > 0 ? Math.sqrt((beta * (1 - abarPrev)) / (1 - abar)) : 0;
    if (t > 0) rng.fillNormal(z, 0, 1);
    const next = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      let x0 = (x[i]! - s1a * eps[i]!) / sa;
      if (clip) x0 = x0 < -1 ? -1 : x0 > 1 ? 1 : x0;
      next[i] = c0 * x0 + ct * x[i]! + (t > 0 ? sigma * z[i]! : 0);
    }
    x = next;
    options.onStep?.(T - t, T);
  }
  return tensor("float32", shape, x);
}

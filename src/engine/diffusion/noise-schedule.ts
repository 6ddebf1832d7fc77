/**
 * DDPM noise schedules: β_t for t = 0..T−1 and the quantities the loss and samplers use, all
 * computed in float64 (the samplers run in float64 too; the loss graph stores float32 copies).
 *
 *   α_t = 1 − β_t,   ᾱ_t = Π_{s ≤ t} α_s,   x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε
 *
 * Timesteps are 0-based: t = 0 is the first (least noisy) step, as in the reference code.
 * - "linear": β from 1e-4 to 0.02 evenly (Ho et al. 2020, with T = 1000).
 * - "cosine": ᾱ_t = f(t + 1)/f(0), f(u) = cos²(((u/T + s)/(1 + s))·π/2), s = 0.008, β clipped to
 *   0.999 (Nichol & Dhariwal 2021). It adds noise more gently at small t, which suits 28×28 images.
 */
import { diffusionMessages as msg } from "./messages.js";
import type { JsonObject } from "../nn/json.js";

export type BetaScheduleKind = "linear" | "cosine";

export interface NoiseScheduleConfig {
  readonly kind: BetaScheduleKind;
  /** Number of diffusion steps T (default 1000). */
  readonly steps?: number;
  /** Linear schedule's first and last β (default 1e-4 and 0.02). */
  readonly betaStart?: number;
  readonly betaEnd?: number;
}

export interface NoiseSchedule {
  readonly config: JsonObject;
  /** T. */
  readonly steps: number;
  readonly betas: Float64Array;
  readonly alphas: Float64Array;
  /** ᾱ_t. */
  readonly alphaBars: Float64Array;
  /** √ᾱ_t and √(1 − ᾱ_t), the forward-process coefficients. */
  readonly sqrtAlphaBars: Float64Array;
  readonly sqrtOneMinusAlphaBars: Float64Array;
}

export function noiseSchedule(config: NoiseScheduleConfig): NoiseSchedule {
  const steps = config.steps ?? 1000;
  if (!Number.isSafeInteger(steps) || steps < 2) throw new RangeError(msg.badScheduleSteps(steps));
  const betas = new Float64Array(steps);
  let json: JsonObject;
  if (config.kind === "linear") {
    const start = config.betaStart ?? 1e-4;
    const end = config.betaEnd ?? 0.02;
    if (!(start > 0 && end >= start && end < 1)) throw new RangeError(msg.badLinearBetas(start, end));
    for (let t = 0; t < steps; t++) betas[t] = start + ((end - start) * t) / (steps - 1);
    json = { kind: "linear", steps, betaStart: start, betaEnd: end };
  } else if (config.kind === "cosine") {
    const s = 0.008;
    const f = (u: number): number => Math.cos(((u / steps + s) / (1 + s)) * (Math.PI / 2)) ** 2;
    for (let t = 0; t < steps; t++) betas[t] = Math.min(1 - f(t + 1) / f(t), 0.999);
    json = { kind: "cosine", steps };
  } else {
    throw new RangeError(msg.badScheduleKind((config as { kind: unknown }).kind));
  }
  const alphas = betas.map((b) => 1 - b);
  const alphaBars = new Float64Array(steps);
  let prod = 1;
  for (let t = 0; t < steps; t++) alphaBars[t] = prod *= alphas[t]!;
  return {
    config: json,
    steps,
    betas,
    alphas,
    alphaBars,
    sqrtAlphaBars: alphaBars.map(Math.sqrt),
    sqrtOneMinusAlphaBars: alphaBars.map((a) => Math.sqrt(1 - a)),
  };
}

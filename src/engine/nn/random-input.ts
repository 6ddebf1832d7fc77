/**
 * Randomness a graph asks for while it is built (dropout masks, noise), fed as a graph input and
 * drawn by the session from the run's generator — never by onnxruntime's own RNG ops, whose
 * state no checkpoint can hold. A layer calls `scope.random("mask", shape, bernoulli(0.9, 1 / 0.9))`;
 * each step, after `Model.feeds`, the session draws every declared input in declaration order, so
 * a resumed run draws exactly what the uninterrupted one did.
 */
import { nnMessages as msg } from "./messages.js";
import { elementCount, type Tensor } from "../../tensor.js";
import type { Generator } from "../random/generator.js";

/** How a random input's elements are drawn (float32). */
export type RandomDistribution =
  /** `scale` with probability p, else 0 (an inverted-dropout keep mask is bernoulli(1 − rate, 1 / (1 − rate))). */
  | { readonly kind: "bernoulli"; readonly p: number; readonly scale?: number }
  | { readonly kind: "normal"; readonly mean?: number; readonly std?: number }
  | { readonly kind: "uniform"; readonly low?: number; readonly high?: number };

export const bernoulli = (p: number, scale = 1): RandomDistribution => ({ kind: "bernoulli", p, scale });
export const normalNoise = (mean = 0, std = 1): RandomDistribution => ({ kind: "normal", mean, std });
export const uniformNoise = (low = 0, high = 1): RandomDistribution => ({ kind: "uniform", low, high });

/** A random input declared by a graph: its graph input name, shape and distribution. */
export interface RandomInputSpec {
  /** The graph input: "random:" + the scope path and name, e.g. "random:block1.drop.mask". */
  readonly name: string;
  readonly shape: readonly number[];
  readonly distribution: RandomDistribution;
}

export const RANDOM_INPUT_PREFIX = "random:";

/** Throws RangeError unless `d` is a distribution this module can draw. */
export function checkDistribution(where: string, d: RandomDistribution): void {
  const bad = (what: string): never => {
    throw new RangeError(msg.badDistribution(where, what));
  };
  if (typeof d !== "object" || d === null) bad("the distribution must be bernoulli(p), normalNoise() or uniformNoise()");
  if (d.kind === "bernoulli") {
    if (!(d.p >= 0 && d.p <= 1)) bad(`bernoulli p must be in [0, 1], got ${d.p}`);
    if (d.scale !== undefined && !Number.isFinite(d.scale)) bad(`bernoulli scale must be finite, got ${d.scale}`);
  } else if (d.kind === "normal") {
    if (!Number.isFinite(d.mean ?? 0) || !((d.std ?? 1) >= 0) || !Number.isFinite(d.std ?? 1))
      bad(`normal noise needs a finite mean and std ≥ 0, got mean ${d.mean}, std ${d.std}`);
  } else if (d.kind === "uniform") {
    if (!Number.isFinite(d.low ?? 0) || !Number.isFinite(d.high ?? 1) || !((d.low ?? 0) <= (d.high ?? 1)))
      bad(`uniform noise needs finite low ≤ high, got ${d.low}, ${d.high}`);
  } else {
    bad(`unknown distribution kind ${JSON.stringify((d as { kind?: unknown }).kind)}`);
  }
}

/** One draw of `spec` from `rng` (advances it by one output per element). */
export function drawRandomInput(spec: RandomInputSpec, rng: Generator): Tensor<"float32"> {
  const out = new Float32Array(elementCount(spec.shape));
  const d = spec.distribution;
  if (d.kind === "bernoulli") {
    rng.fillBernoulli(out, d.p);
    const scale = d.scale ?? 1;
    if (scale !== 1) for (let i = 0; i < out.length; i++) out[i]! *= scale;
  } else if (d.kind === "normal") {
    rng.fillNormal(out, d.mean ?? 0, d.std ?? 1);
  } else {
    rng.fillUniform(out, d.low ?? 0, d.high ?? 1);
  }
  return { dtype: "float32", shape: [...spec.shape], data: out };
}

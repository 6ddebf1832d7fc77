/**
 * Sinusoidal timestep embedding (the Transformer's position encoding, as DDPM uses it), computed
 * inside the graph from the timestep input, so sampling graphs take the plain integer timestep:
 *
 *   e[n, k]        = sin(t[n] · f_k)       k < dim/2
 *   e[n, dim/2 + k] = cos(t[n] · f_k)
 *   f_k = maxPeriod^(−k / (dim/2))          (f_0 = 1, then geometrically down towards 1/maxPeriod)
 *
 * The frequencies are computed in float64 in TypeScript and stored as a float32 constant; t is
 * cast to float32 and the products are float32, so at t ≈ 1000 the arguments carry ~6e-5 of
 * rounding. Nothing here has parameters and t is never differentiated.
 *
 * `timestepEmbedding` adds the usual learned MLP on top: Linear(dim → hidden) → SiLU → Linear(hidden → hidden).
 */
import { tensor } from "../../tensor.js";
import { cast, concat, mul, reshape } from "../graph/functional.js";
import { siluComposite as silu } from "../autodiff/composites/silu.js";
import type { Value } from "../graph/value.js";
import type { ParameterScope } from "../nn/parameter-scope.js";
import { linear } from "./linear.js";
import { layerMessages as msg } from "./messages.js";

/** The dim/2 frequencies f_k = maxPeriod^(−k / (dim/2)), in float64. */
export function sinusoidalFrequencies(dim: number, maxPeriod = 10000): Float64Array {
  if (!Number.isSafeInteger(dim) || dim < 2 || dim % 2 !== 0) throw new RangeError(msg.oddEmbeddingDim(dim));
  if (!(maxPeriod > 1)) throw new RangeError(msg.badMaxPeriod(maxPeriod));
  const half = dim / 2;
  return Float64Array.from({ length: half }, (_, k) => Math.exp((-Math.log(maxPeriod) * k) / half));
}

/** t [N] (any numeric dtype) → [N, dim] float32 sin/cos features. */
export function sinusoidalEmbedding(t: Value, dim: number, maxPeriod = 10000): Value {
  if (t.shape.length !== 1) throw new RangeError(msg.badTimesteps(t.shape));
  const freqs = sinusoidalFrequencies(dim, maxPeriod);
  const g = t.graph;
  const f = g.constant(tensor("float32", [1, freqs.length], Float32Array.from(freqs)));
  const args = mul(reshape(cast(t, "float32"), [t.shape[0]!, 1]), f);
  return concat([g.op("Sin", [args]), g.op("Cos", [args])], 1);
}

/** Sinusoidal features of t, then Linear → SiLU → Linear (parameters `<scope>.fc1.*`, `<scope>.fc2.*`). */
export function timestepEmbedding(scope: ParameterScope, t: Value, dim: number, hidden: number): Value {
  if (!Number.isSafeInteger(hidden) || hidden <= 0) throw new RangeError(msg.notPositiveInteger("timestepEmbedding", scope.path, "hidden", hidden));
  const e = sinusoidalEmbedding(t, dim);
  return linear(scope.child("fc2"), silu(linear(scope.child("fc1"), e, hidden)), hidden);
}

/** One network evaluation for the samplers: feeds x_t and t (the same t for the whole batch), returns ε̂. */
import { sameShape } from "../graph/shape.js";
import { SAMPLE_EPS, SAMPLE_T, SAMPLE_X } from "./ddpm-model.js";
import type { Denoiser } from "./denoiser.js";
import { diffusionMessages as msg } from "./messages.js";

export async function predictNoise(denoiser: Denoiser, x: Float32Array, t: number, shape: readonly number[]): Promise<Float32Array> {
  const n = shape[0]!;
  const out = await denoiser.run({
    [SAMPLE_X]: { dtype: "float32", shape, data: x },
    [SAMPLE_T]: { dtype: "int64", shape: [n], data: new BigInt64Array(n).fill(BigInt(t)) },
  });
  const eps = out[SAMPLE_EPS];
  if (eps === undefined || eps.dtype !== "float32" || !sameShape(eps.shape, shape)) throw new Error(msg.badDenoiserOutput(SAMPLE_EPS, shape, eps));
  return eps.data as Float32Array;
}

/** x_T: the caller's, or n·C·S·S standard normals drawn from the generator. */
export function startingNoise(count: number, given: Float32Array | undefined, draw: (out: Float32Array) => Float32Array): Float32Array {
  if (given === undefined) return draw(new Float32Array(count));
  if (given.length !== count) throw new RangeError(msg.badInitialNoise(count, given.length));
  return Float32Array.from(given);
}

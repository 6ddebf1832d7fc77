/**
 * What the engine's modules draw random numbers from. The project's seeded, serialisable generator
 * (src/engine/random/) satisfies it; this interface only names the calls nn/ makes, so layers and
 * models do not depend on the generator's implementation.
 */
export interface RandomSource {
  /** Fills `out` with independent uniform draws in [low, high) and returns it. */
  fillUniform(out: Float32Array, low: number, high: number): Float32Array;
  /** Fills `out` with independent normal draws N(mean, std²) and returns it. */
  fillNormal(out: Float32Array, mean: number, std: number): Float32Array;
}

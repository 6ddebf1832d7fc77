/**
 * How a parameter gets its first value. Initialisers are plain descriptions (`kind` + numbers) so a
 * model's parameter list can be printed and fingerprinted; drawing happens once, at init time, from the
 * run's seeded generator, in parameter declaration order (see initial-parameters.ts).
 */
import type { Generator } from "../random/generator.js";

export interface Initializer {
  /** "zeros", "ones", "constant", "normal", "uniform", "kaiming-uniform", ... */
  readonly kind: string;
  /** The numbers that define it (std, bound, fan-in...), for printing and fingerprints. */
  readonly args: Readonly<Record<string, number>>;
  /** Writes the initial values of a float32 parameter of `shape` into `out`. */
  fill(out: Float32Array, shape: readonly number[], rng: Generator): void;
}

/**
 * Making generators: from a seed at the start of a run, from a saved state on resume.
 */
import type { Generator, Seed } from "./generator.js";
import { randomMessages } from "./messages.js";
import { rootKey } from "./splitmix64.js";
import { Xoshiro128StarStar } from "./xoshiro128ss.js";

/** A generator for `seed` (a safe integer or a string); the same seed gives the same stream everywhere. */
export function createGenerator(seed: Seed): Generator {
  if (!(typeof seed === "string" || (typeof seed === "number" && Number.isSafeInteger(seed)))) {
    throw new TypeError(randomMessages.badSeed(seed));
  }
  return Xoshiro128StarStar.fromKey(rootKey(seed));
}

/**
 * A generator continuing `state` (from `generator.state()`, e.g. read from a checkpoint).
 * Throws NbresumeError RNG_STATE_INVALID naming the bad field.
 */
export function generatorFromState(state: unknown): Generator {
  return Xoshiro128StarStar.fromState(state);
}

/**
 * The deterministic generator behind checkGradients' inputs, projections and sampled elements
 * (mulberry32: tiny, seedable, and the same numbers on every machine, so a check that passes passes
 * again). Not the training RNG (src/engine/random/): its stream must never change, or every
 * recorded check would test other numbers.
 */
export interface CheckRandom {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
}

export function checkRandom(seed: number): CheckRandom {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()),
  };
}

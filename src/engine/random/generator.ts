/**
 * The one source of randomness of a training run (interfaces only; xoshiro128ss.ts implements it,
 * create-generator.ts makes one).
 *
 * Two ideas make resume exact:
 * - **The whole stream position is plain data.** `state()` returns a JSON-serialisable object
 *   (including the cached Box–Muller spare), `restore()` continues the stream exactly there.
 * - **Streams are split by name, not by position.** `fork(label)` derives a child from this
 *   generator's `key` (its seed and fork path) only, never from how many numbers were drawn. So
 *   `root.fork("data")` yields the same data order whether the model drew 10 or 10 million noise
 *   samples from `root.fork("noise")`, and a loader can derive epoch e's permutation from
 *   `fork(\`epoch:${e}\`)` without replaying epochs 0..e-1.
 */

/** A seed: any safe integer (negative ones wrap to 64 bits), or any string (hashed). 42 and "42" differ. */
export type Seed = number | string;

/** What `state()` returns and `restore()` accepts; plain JSON, stored in a checkpoint's state.json. */
export interface GeneratorState {
  readonly algorithm: "xoshiro128**";
  /** The stream's identity (seed + fork path) as 16 lowercase hex digits; `fork` derives from it. */
  readonly key: string;
  /** The four 32-bit state words, as unsigned integers; never all zero. */
  readonly s: readonly [number, number, number, number];
  /** The second Box–Muller normal of the last pair, not yet returned; null when none is cached. */
  readonly spare: number | null;
}

/** Anything with a length and numeric index that can be written: arrays and typed arrays. */
export interface MutableArrayLike<T> {
  readonly length: number;
  [index: number]: T;
}

export interface Generator {
  /** This stream's identity (seed + fork path), 16 lowercase hex digits. Equal keys ⇒ equal forks. */
  readonly key: string;

  /** A uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** A uniform double in [0, 1) with 53 random bits (two 32-bit outputs). */
  nextFloat(): number;
  /** A uniform integer in [0, maxExclusive), unbiased (rejection), for 1 ≤ maxExclusive ≤ 2^32. */
  int(maxExclusive: number): number;
  /** A standard normal (Box–Muller on 53-bit uniforms); every second call returns the cached spare. */
  normal(): number;

  /**
   * Fills `out` with float32(lo + (hi - lo) u), u uniform in [0, 1) with 24 bits (one 32-bit output
   * per element). Float32 rounding can land exactly on `hi` when hi - lo is not a power of two.
   * Returns `out`.
   */
  fillUniform(out: Float32Array, lo?: number, hi?: number): Float32Array;
  /**
   * Fills `out` with float32(mean + std z): element i gets exactly what the i-th call of `normal()`
   * would have returned (the spare included), so filling and calling interleave freely. Returns `out`.
   */
  fillNormal(out: Float32Array, mean?: number, std?: number): Float32Array;
  /** Fills `out` with 1 with probability p and 0 otherwise (dropout keep masks); one output each. */
  fillBernoulli<A extends Float32Array | Uint8Array>(out: A, p: number): A;
  /** Shuffles in place (Fisher–Yates, from the end, `int(i + 1)` per step). Returns the array. */
  shuffle<T, A extends MutableArrayLike<T>>(array: A): A;

  /** A child stream derived from `key` and `label` only; does not advance this generator. */
  fork(label: string): Generator;
  /** A snapshot of the stream position, plain JSON. */
  state(): GeneratorState;
  /**
   * Continues from `state` (as returned by `state()`, typically read back from a checkpoint).
   * Validates it first and throws NbresumeError RNG_STATE_INVALID naming the bad field.
   */
  restore(state: unknown): void;
}

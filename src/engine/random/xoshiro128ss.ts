/**
 * xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c): 128-bit
 * state, period 2^128 − 1, passes BigCrush, four 32-bit words, so every operation is exact with
 * Math.imul / shifts and no BigInt on the hot path.
 *
 * Why our own rather than pure-rand: pure-rand is only a transitive dev dependency here and has no
 * xoshiro128**; we need a cached Box–Muller spare and a fork-by-name key in the serialised state
 * anyway, and bulk fills that keep the state in a typed array. The algorithm is 10 lines and is
 * checked against the published C reference (test/engine/random/reference/).
 *
 * Determinism across machines: only integer ops, IEEE-exact double arithmetic, and V8's fdlibm
 * ports of Math.log/cos/sin (the same on every platform for a given Node version).
 */
import type { Generator, GeneratorState, MutableArrayLike } from "./generator.js";
import { parseGeneratorState } from "./generator-state.js";
import { randomMessages } from "./messages.js";
import { childKey, hexToKey, keyToHex, stateFromKey } from "./splitmix64.js";

const TWO_POW_32 = 4294967296;
const TWO_POW_26 = 67108864;
const INV_TWO_POW_24 = 1 / 16777216;
const INV_TWO_POW_53 = 1 / 9007199254740992;
const TWO_PI = 2 * Math.PI;

/*
 * Box–Muller's angle through a table instead of Math.cos/Math.sin, which took 16 of the 21 ms of
 * filling 1M normals here (now ~11 ms, of which Math.log + sqrt ~6 ms: a table-driven log in JS
 * was 3× slower than V8's). θ = 2π(k + f)/1024 with k the top 10 bits of a 53-bit uniform:
 * cos/sin of 2πk/1024 come from the table, those of δ = 2πf/1024 < 0.0062 from Taylor series whose
 * first omitted terms are below 1e-20, and the angle-addition formulas combine them. The result
 * agrees with Math.cos/sin to a few ulps, and uses only IEEE-exact arithmetic after the table.
 */
const ANGLE_BITS = 10;
const ANGLE_STEPS = 1 << ANGLE_BITS;
const COS_TABLE = new Float64Array(ANGLE_STEPS);
const SIN_TABLE = new Float64Array(ANGLE_STEPS);
for (let k = 0; k < ANGLE_STEPS; k++) {
  COS_TABLE[k] = Math.cos((TWO_PI * k) / ANGLE_STEPS);
  SIN_TABLE[k] = Math.sin((TWO_PI * k) / ANGLE_STEPS);
}
const INV_6 = 1 / 6,
  INV_12 = 1 / 12,
  INV_20 = 1 / 20,
  INV_30 = 1 / 30,
  INV_42 = 1 / 42,
  INV_56 = 1 / 56;
/** 2π / 2^53: turns the 53-bit integer's low 43 bits into δ. */
const DELTA_SCALE = TWO_PI * INV_TWO_POW_53;

/**
 * One Box–Muller pair from four 32-bit outputs: (a1, b1) → u1 ∈ (0, 1] and (a2, b2) → θ, both with
 * 53 bits as in nextFloat(). Writes r cos θ to out[0] and r sin θ to out[1]. Shared by normal()
 * and fillNormal() so the two give identical numbers.
 */
function gaussianPair(a1: number, b1: number, a2: number, b2: number, out: Float64Array): void {
  const u1 = 1 - ((a1 >>> 5) * TWO_POW_26 + (b1 >>> 6)) * INV_TWO_POW_53;
  const r = Math.sqrt(-2 * Math.log(u1));
  const k = a2 >>> (32 - ANGLE_BITS);
  const d = (((a2 >>> 5) & 0x1ffff) * TWO_POW_26 + (b2 >>> 6)) * DELTA_SCALE;
  const d2 = d * d;
  // Constants are 1/6, 1/20, ... written as multiplications: division is several times slower.
  const sinD = d * (1 - d2 * INV_6 * (1 - d2 * INV_20 * (1 - d2 * INV_42)));
  const cosD = 1 - d2 * 0.5 * (1 - d2 * INV_12 * (1 - d2 * INV_30 * (1 - d2 * INV_56)));
  const c = COS_TABLE[k]!;
  const s = SIN_TABLE[k]!;
  out[0] = r * (c * cosD - s * sinD);
  out[1] = r * (s * cosD + c * sinD);
}

/** Scratch for gaussianPair's two results (a typed array, so no number is boxed). */
const PAIR = new Float64Array(2);

/**
 * Bulk fills draw their 32-bit outputs in chunks into this buffer with the state in locals:
 * 4M outputs took 5.6 ms through nextUint32() and 1.8 ms this way here.
 */
const CHUNK = 4096;
const WORDS = new Uint32Array(CHUNK);

export class Xoshiro128StarStar implements Generator {
  #key: bigint;
  #keyHex: string;
  /** Int32Array rather than fields: uint32 words above 2^30 would be boxed as heap numbers. */
  readonly #s = new Int32Array(4);
  #spare = 0;
  #hasSpare = false;

  private constructor(key: bigint, words: readonly [number, number, number, number], spare: number | null) {
    this.#key = key;
    this.#keyHex = keyToHex(key);
    this.#s.set(words);
    if (spare !== null) {
      this.#spare = spare;
      this.#hasSpare = true;
    }
  }

  static fromKey(key: bigint): Xoshiro128StarStar {
    return new Xoshiro128StarStar(key, stateFromKey(key), null);
  }

  /** Validates `state` (NbresumeError RNG_STATE_INVALID) and builds a generator continuing it. */
  static fromState(state: unknown): Xoshiro128StarStar {
    const parsed = parseGeneratorState(state);
    return new Xoshiro128StarStar(hexToKey(parsed.key), parsed.s, parsed.spare);
  }

  get key(): string {
    return this.#keyHex;
  }

  nextUint32(): number {
    const s = this.#s;
    let s0 = s[0]!,
      s1 = s[1]!,
      s2 = s[2]!,
      s3 = s[3]!;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    return result >>> 0;
  }

  /** Writes the next `count` outputs (≤ buffer length) to `buf`, exactly as `count` nextUint32() calls would. */
  #words(buf: Uint32Array, count: number): void {
    const s = this.#s;
    let s0 = s[0]!,
      s1 = s[1]!,
      s2 = s[2]!,
      s3 = s[3]!;
    for (let i = 0; i < count; i++) {
      const m = Math.imul(s1, 5);
      buf[i] = Math.imul((m << 7) | (m >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
  }

  nextFloat(): number {
    // The usual 53-bit construction: top 27 bits of the first output, top 26 of the second.
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * TWO_POW_26 + b) * INV_TWO_POW_53;
  }

  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > TWO_POW_32) {
      throw new RangeError(randomMessages.badIntBound(maxExclusive));
    }
    if (maxExclusive === TWO_POW_32) return this.nextUint32();
    // Reject the top 2^32 mod n outputs so every residue is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % maxExclusive);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % maxExclusive;
  }

  normal(): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return this.#spare;
    }
    gaussianPair(this.nextUint32(), this.nextUint32(), this.nextUint32(), this.nextUint32(), PAIR);
    this.#spare = PAIR[1]!;
    this.#hasSpare = true;
    return PAIR[0]!;
  }

  fillUniform(out: Float32Array, lo = 0, hi = 1): Float32Array {
    if (!(out instanceof Float32Array)) throw new TypeError(randomMessages.badFillTarget("fillUniform", out));
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) throw new RangeError(randomMessages.badUniformRange(lo, hi));
    const scale = (hi - lo) * INV_TWO_POW_24;
    for (let start = 0; start < out.length; start += CHUNK) {
      const count = Math.min(CHUNK, out.length - start);
      this.#words(WORDS, count);
      for (let j = 0; j < count; j++) out[start + j] = lo + (WORDS[j]! >>> 8) * scale;
    }
    return out;
  }

  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    if (!(out instanceof Float32Array)) throw new TypeError(randomMessages.badFillTarget("fillNormal", out));
    if (!Number.isFinite(mean) || !Number.isFinite(std) || std < 0) throw new RangeError(randomMessages.badNormalParams(mean, std));
    const n = out.length;
    let i = 0;
    if (n > 0 && this.#hasSpare) {
      out[i++] = mean + std * this.#spare;
      this.#hasSpare = false;
    }
    // Same pairs from the same words, in the same order, as repeated normal() calls.
    while (i + 1 < n) {
      const pairs = Math.min(CHUNK >> 2, (n - i) >> 1);
      this.#words(WORDS, pairs * 4);
      for (let p = 0; p < pairs; p++, i += 2) {
        gaussianPair(WORDS[4 * p]!, WORDS[4 * p + 1]!, WORDS[4 * p + 2]!, WORDS[4 * p + 3]!, PAIR);
        out[i] = mean + std * PAIR[0]!;
        out[i + 1] = mean + std * PAIR[1]!;
      }
    }
    if (i < n) out[i] = mean + std * this.normal();
    return out;
  }

  fillBernoulli<A extends Float32Array | Uint8Array>(out: A, p: number): A {
    if (!(out instanceof Float32Array || out instanceof Uint8Array)) throw new TypeError(randomMessages.badFillTarget("fillBernoulli", out));
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new RangeError(randomMessages.badProbability(p));
    const threshold = p * TWO_POW_32;
    for (let start = 0; start < out.length; start += CHUNK) {
      const count = Math.min(CHUNK, out.length - start);
      this.#words(WORDS, count);
      for (let j = 0; j < count; j++) out[start + j] = WORDS[j]! < threshold ? 1 : 0;
    }
    return out;
  }

  shuffle<T, A extends MutableArrayLike<T>>(array: A): A {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i]!;
      array[i] = array[j]!;
      array[j] = tmp;
    }
    return array;
  }

  fork(label: string): Generator {
    if (typeof label !== "string") throw new TypeError(randomMessages.badForkLabel(label));
    return Xoshiro128StarStar.fromKey(childKey(this.#key, label));
  }

  state(): GeneratorState {
    const s = this.#s;
    return {
      algorithm: "xoshiro128**",
      key: this.key,
      s: [s[0]! >>> 0, s[1]! >>> 0, s[2]! >>> 0, s[3]! >>> 0],
      spare: this.#hasSpare ? this.#spare : null,
    };
  }

  restore(state: unknown): void {
    const parsed = parseGeneratorState(state);
    // The key comes along: a restored stream forks like the one that was saved.
    this.#key = hexToKey(parsed.key);
    this.#keyHex = parsed.key;
    this.#s.set(parsed.s);
    this.#hasSpare = parsed.spare !== null;
    this.#spare = parsed.spare ?? 0;
  }
}

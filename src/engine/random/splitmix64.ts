/**
 * Seeding: turning a seed or a fork label into a 64-bit key, and a key into xoshiro128** state.
 * Runs once per generator or fork, so it may use BigInt; the per-number hot path
 * (xoshiro128ss.ts) is 32-bit only.
 *
 * splitmix64 is Vigna's recommended seeder for the xoshiro family
 * (https://prng.di.unimi.it/splitmix64.c); the state words are the low then high halves of its
 * first two outputs, what `memcpy(s, (uint64_t[]){a, b}, 16)` gives on a little-endian machine.
 */

const MASK64 = (1n << 64n) - 1n;
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;
const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;

/** splitmix64's output function (Stafford's Mix13): a bijection on 64-bit words with full avalanche. */
export function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** The first `count` outputs of splitmix64 started at `seed`. */
export function splitmix64(seed: bigint, count: number): bigint[] {
  const out: bigint[] = [];
  let x = seed & MASK64;
  for (let i = 0; i < count; i++) {
    x = (x + GOLDEN_GAMMA) & MASK64;
    out.push(mix64(x));
  }
  return out;
}

/** FNV-1a 64 over the UTF-8 bytes of `text` (only for naming streams, never for integrity). */
export function fnv1a64(text: string): bigint {
  let h = FNV64_OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    h = ((h ^ BigInt(byte)) * FNV64_PRIME) & MASK64;
  }
  return h;
}

/** The key of a root generator: a safe integer as its 64-bit two's complement, a string hashed. */
export function rootKey(seed: number | string): bigint {
  return typeof seed === "number" ? BigInt.asUintN(64, BigInt(seed)) : fnv1a64(seed);
}

/** The key of `fork(label)`: depends on the parent's key and the label only. */
export function childKey(parent: bigint, label: string): bigint {
  return mix64(mix64(parent) ^ fnv1a64(label));
}

/** xoshiro128** state words from a key; never all zero (splitmix64's outputs are distinct). */
export function stateFromKey(key: bigint): [number, number, number, number] {
  const [a = 0n, b = 0n] = splitmix64(key, 2);
  return [Number(a & 0xffffffffn), Number(a >> 32n), Number(b & 0xffffffffn), Number(b >> 32n)];
}

export function keyToHex(key: bigint): string {
  return key.toString(16).padStart(16, "0");
}

export function hexToKey(hex: string): bigint {
  return BigInt(`0x${hex}`);
}

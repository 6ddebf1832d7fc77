/*
 * Reference values for test/engine/random/generator.test.ts, computed from the published C code,
 * independently of our TypeScript:
 *   - splitmix64:   https://prng.di.unimi.it/splitmix64.c          (next() copied verbatim)
 *   - xoshiro128**: https://prng.di.unimi.it/xoshiro128starstar.c  (rotl/next() copied verbatim)
 *   - FNV-1a 64:    offset 0xcbf29ce484222325, prime 0x100000001b3 (Fowler/Noll/Vo)
 * plus nbresume's documented seeding (src/engine/random/splitmix64.ts):
 *   root key  = (uint64_t)seed for integers, FNV-1a 64 of the UTF-8 bytes for strings;
 *   fork key  = mix(mix(parent) ^ fnv1a64(label)), mix = splitmix64's output function;
 *   state     = low32(a), high32(a), low32(b), high32(b) for the first two splitmix64 outputs a, b.
 *
 * Build and run:  gcc -O2 -std=c99 -o /tmp/xref xoshiro128ss-reference.c && /tmp/xref
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- splitmix64.c (Sebastiano Vigna, public domain) ---- */
static uint64_t x; /* The state can be seeded with any value. */
uint64_t splitmix_next() {
	uint64_t z = (x += 0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
	return z ^ (z >> 31);
}

/* ---- xoshiro128starstar.c (David Blackman and Sebastiano Vigna, public domain) ---- */
static inline uint32_t rotl(const uint32_t x, int k) {
	return (x << k) | (x >> (32 - k));
}
static uint32_t s[4];
uint32_t next(void) {
	const uint32_t result = rotl(s[1] * 5, 7) * 9;
	const uint32_t t = s[1] << 9;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 11);
	return result;
}

/* ---- nbresume seeding ---- */
static uint64_t mix(uint64_t z) {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
	return z ^ (z >> 31);
}
static uint64_t fnv1a64(const char *str) {
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) { h ^= *p; h *= 0x100000001b3ULL; }
	return h;
}
static void seed_key(uint64_t key) {
	x = key;
	uint64_t a = splitmix_next(), b = splitmix_next();
	s[0] = (uint32_t)a; s[1] = (uint32_t)(a >> 32); s[2] = (uint32_t)b; s[3] = (uint32_t)(b >> 32);
}
static void show(const char *name, uint64_t key) {
	seed_key(key);
	printf("%s key=%016llx state=[%u, %u, %u, %u]\n  first 8:", name, (unsigned long long)key, s[0], s[1], s[2], s[3]);
	for (int i = 0; i < 8; i++) printf(" %u", next());
	printf("\n");
	/* 53-bit float from outputs 9 and 10: ((a >> 5) * 2^26 + (b >> 6)) / 2^53 */
	uint32_t a = next(), b = next();
	printf("  nextFloat after them: %.17g\n", ((double)(a >> 5) * 67108864.0 + (double)(b >> 6)) / 9007199254740992.0);
}

int main(void) {
	show("seed 42", (uint64_t)42);
	show("seed 0", (uint64_t)0);
	show("seed -1", (uint64_t)(int64_t)-1);
	show("seed \"nbresume\"", fnv1a64("nbresume"));
	show("seed 42 fork(\"data\")", mix(mix((uint64_t)42) ^ fnv1a64("data")));
	show("seed 42 fork(\"data\") fork(\"epoch:3\")", mix(mix(mix(mix((uint64_t)42) ^ fnv1a64("data"))) ^ fnv1a64("epoch:3")));
	seed_key(42);
	uint32_t xr = 0, last = 0; uint64_t sum = 0;
	for (int i = 0; i < 1000000; i++) { last = next(); xr ^= last; sum += last; }
	printf("seed 42, first 1e6 outputs: xor=%u sum=%llu millionth=%u\n", xr, (unsigned long long)sum, last);
	return 0;
}

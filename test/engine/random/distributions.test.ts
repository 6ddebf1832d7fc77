import { strict as assert } from "node:assert";
import { createGenerator } from "../../../src/engine/random/index.js";
import { randomMessages } from "../../../src/engine/random/messages.js";

/** Standard normal CDF via erf (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7: ample for a KS bound of ~4e-3). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

function moments(xs: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0,
    ss = 0;
  for (let i = 0; i < xs.length; i++) {
    s += xs[i]!;
    ss += xs[i]! * xs[i]!;
  }
  const mean = s / xs.length;
  return { mean, variance: ss / xs.length - mean * mean };
}

describe("random generator distributions", () => {
  describe("normal()", () => {
    const n = 200_000;
    const draws = (() => {
      const g = createGenerator("normal");
      return Float64Array.from({ length: n }, () => g.normal());
    })();

    it("has mean 0 and variance 1 within 5 standard errors over 200,000 draws", () => {
      const { mean, variance } = moments(draws);
      // SE(mean) = 1/√n; SE(variance) = √(2/n) for a normal.
      assert.ok(Math.abs(mean) < 5 / Math.sqrt(n), `mean ${mean}`);
      assert.ok(Math.abs(variance - 1) < 5 * Math.sqrt(2 / n), `variance ${variance}`);
    });

    it("follows the normal CDF: Kolmogorov–Smirnov distance below 1.63/√n (p = 0.01)", () => {
      const sorted = Float64Array.from(draws).sort();
      let d = 0;
      for (let i = 0; i < n; i++) {
        const f = normalCdf(sorted[i]!);
        d = Math.max(d, Math.abs(f - i / n), Math.abs(f - (i + 1) / n));
      }
      assert.ok(d < 1.63 / Math.sqrt(n), `KS distance ${d}`);
    });

    it("puts 0.27% ± 5 SE of draws beyond 3σ, on both sides alike", () => {
      let above = 0,
        below = 0;
      for (const z of draws) {
        if (z > 3) above++;
        if (z < -3) below++;
      }
      const p = 2 * (1 - normalCdf(3));
      const se = Math.sqrt((p * (1 - p)) / n);
      assert.ok(Math.abs((above + below) / n - p) < 5 * se, `${above + below} beyond 3σ`);
      assert.ok(Math.abs(above - below) < 5 * Math.sqrt(above + below), `${above} above vs ${below} below`);
    });

    it("returns r·cos θ then r·sin θ, agreeing with Math.cos/Math.sin on the same four outputs to 1e-14", () => {
      // The implementation takes cos/sin from a table plus Taylor series; this recomputes each pair
      // straight from its definition: u1 = 1 − (53-bit float), θ = 2π·(53-bit float).
      const g = createGenerator(99),
        words = createGenerator(99);
      const float53 = () => ((words.nextUint32() >>> 5) * 2 ** 26 + (words.nextUint32() >>> 6)) / 2 ** 53;
      for (let i = 0; i < 20_000; i++) {
        const u1 = 1 - float53();
        const theta = 2 * Math.PI * float53();
        const r = Math.sqrt(-2 * Math.log(u1));
        const z0 = g.normal(),
          z1 = g.normal();
        assert.ok(Math.abs(z0 - r * Math.cos(theta)) < 1e-14 * Math.max(1, r), `pair ${i} cos: ${z0} vs ${r * Math.cos(theta)}`);
        assert.ok(Math.abs(z1 - r * Math.sin(theta)) < 1e-14 * Math.max(1, r), `pair ${i} sin: ${z1} vs ${r * Math.sin(theta)}`);
      }
    });
  });

  describe("fillNormal()", () => {
    for (const [pending, length] of [
      [false, 1],
      [false, 2],
      [false, 9999],
      [true, 1],
      [true, 2],
      [true, 10_000],
      [false, 0],
    ] as const) {
      it(`writes exactly what successive normal() calls return (length ${length}, spare ${pending ? "pending" : "none"})`, () => {
        const a = createGenerator(8),
          b = createGenerator(8);
        if (pending) {
          a.normal();
          b.normal();
        }
        const filled = a.fillNormal(new Float32Array(length), 0.5, 3);
        for (let i = 0; i < length; i++) assert.equal(filled[i], Math.fround(0.5 + 3 * b.normal()), `element ${i}`);
        assert.deepEqual(a.state(), b.state(), "both end in the same state, spare included");
      });
    }

    it("scales to the requested mean and std", () => {
      const x = createGenerator(4).fillNormal(new Float32Array(100_000), -2, 0.5);
      const { mean, variance } = moments(x);
      assert.ok(Math.abs(mean + 2) < (5 * 0.5) / Math.sqrt(x.length), `mean ${mean}`);
      assert.ok(Math.abs(Math.sqrt(variance) - 0.5) < 0.01, `std ${Math.sqrt(variance)}`);
    });

    it("rejects a non-finite mean, a negative std and a target that is not a Float32Array", () => {
      const g = createGenerator(1);
      assert.throws(
        () => g.fillNormal(new Float32Array(1), Number.NaN, 1),
        (e: unknown) => e instanceof RangeError && e.message === randomMessages.badNormalParams(Number.NaN, 1),
      );
      assert.throws(
        () => g.fillNormal(new Float32Array(1), 0, -1),
        (e: unknown) => e instanceof RangeError && e.message === randomMessages.badNormalParams(0, -1),
      );
      assert.throws(
        () => g.fillNormal(new Float64Array(1) as never),
        (e: unknown) => e instanceof TypeError && e.message === randomMessages.badFillTarget("fillNormal", new Float64Array(1)),
      );
    });
  });

  describe("fillUniform()", () => {
    it("stays within [lo, hi] with mean (lo + hi)/2 and variance (hi − lo)²/12", () => {
      const x = createGenerator(12).fillUniform(new Float32Array(200_000), -3, 5);
      let min = Infinity,
        max = -Infinity;
      for (const v of x) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      assert.ok(min >= -3 && max <= 5, `range [${min}, ${max}]`);
      assert.ok(min < -2.99 && max > 4.99, "covers the whole interval");
      const { mean, variance } = moments(x);
      const sd = 8 / Math.sqrt(12);
      assert.ok(Math.abs(mean - 1) < (5 * sd) / Math.sqrt(x.length), `mean ${mean}`);
      assert.ok(Math.abs(variance - sd * sd) < 0.05, `variance ${variance}`);
    });

    it("rejects lo > hi and non-finite bounds with a RangeError", () => {
      const g = createGenerator(1);
      assert.throws(
        () => g.fillUniform(new Float32Array(1), 1, 0),
        (e: unknown) => e instanceof RangeError && e.message === randomMessages.badUniformRange(1, 0),
      );
      assert.throws(
        () => g.fillUniform(new Float32Array(1), 0, Infinity),
        (e: unknown) => e instanceof RangeError && e.message === randomMessages.badUniformRange(0, Infinity),
      );
    });
  });

  describe("fillBernoulli()", () => {
    it("sets 1 with probability p within 5 standard errors, and is all 0 for p = 0, all 1 for p = 1", () => {
      const g = createGenerator(13);
      const n = 100_000;
      const mask = g.fillBernoulli(new Float32Array(n), 0.9);
      const ones = mask.reduce((a, v) => a + v, 0);
      assert.ok(mask.every((v) => v === 0 || v === 1));
      assert.ok(Math.abs(ones / n - 0.9) < 5 * Math.sqrt(0.09 / n), `${ones} ones`);
      assert.ok(g.fillBernoulli(new Uint8Array(1000), 0).every((v) => v === 0));
      assert.ok(g.fillBernoulli(new Uint8Array(1000), 1).every((v) => v === 1));
    });

    it("rejects p outside [0, 1]", () => {
      for (const p of [-0.1, 1.5, Number.NaN]) {
        assert.throws(
          () => createGenerator(1).fillBernoulli(new Uint8Array(1), p),
          (e: unknown) => e instanceof RangeError && e.message === randomMessages.badProbability(p),
        );
      }
    });
  });

  describe("shuffle()", () => {
    it("returns a permutation of the same array, for plain and typed arrays", () => {
      const g = createGenerator(21);
      const plain = Array.from({ length: 1000 }, (_, i) => i);
      assert.equal(g.shuffle(plain), plain);
      assert.deepEqual(
        [...plain].sort((a, b) => a - b),
        Array.from({ length: 1000 }, (_, i) => i),
      );
      assert.notDeepEqual(
        plain,
        Array.from({ length: 1000 }, (_, i) => i),
      );
      const typed = Int32Array.from({ length: 1000 }, (_, i) => i);
      g.shuffle(typed);
      assert.deepEqual(
        Array.from(typed).sort((a, b) => a - b),
        Array.from({ length: 1000 }, (_, i) => i),
      );
      assert.deepEqual(g.shuffle([]), []);
      assert.deepEqual(g.shuffle(["only"]), ["only"]);
    });

    it("makes all 24 orders of 4 items equally likely: chi-square over 48,000 shuffles below 49.73 (p = 0.001, 23 d.o.f.)", () => {
      const g = createGenerator("shuffle");
      const counts = new Map<string, number>();
      for (let i = 0; i < 48_000; i++) {
        const k = g.shuffle([0, 1, 2, 3]).join("");
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      assert.equal(counts.size, 24);
      const chi = [...counts.values()].reduce((acc, c) => acc + (c - 2000) ** 2 / 2000, 0);
      assert.ok(chi < 49.73, `chi-square ${chi}`);
    });

    it("uses Fisher–Yates from the end with int(i + 1), as documented", () => {
      const g = createGenerator(30),
        ref = createGenerator(30);
      const expected = ["a", "b", "c", "d", "e"];
      for (let i = expected.length - 1; i > 0; i--) {
        const j = ref.int(i + 1);
        [expected[i], expected[j]] = [expected[j]!, expected[i]!];
      }
      assert.deepEqual(g.shuffle(["a", "b", "c", "d", "e"]), expected);
    });
  });
});

import { strict as assert } from "node:assert";
import { constant, kaimingNormal, kaimingUniform, normal, ones, torchDefault, uniform, xavierUniform, zeros } from "../../../src/engine/nn/initializers.js";
import { createGenerator } from "../../../src/engine/random/index.js";

function stats(xs: Float32Array): { mean: number; std: number; min: number; max: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, std, min: Math.min(...xs), max: Math.max(...xs) };
}

function fill(init: ReturnType<typeof normal>, n = 20000, seed = 1): Float32Array {
  const out = new Float32Array(n);
  init.fill(out, [n], createGenerator(seed));
  return out;
}

describe("initialisers (statistics over 20,000 draws, within 3% of the target)", () => {
  it("zeros, ones and constant fill exactly", () => {
    assert.ok(fill(zeros(), 10).every((v) => v === 0));
    assert.ok(fill(ones(), 10).every((v) => v === 1));
    assert.ok(fill(constant(0.25), 10).every((v) => v === 0.25));
  });

  it("normal(std) has mean ≈ 0 and the given std", () => {
    const s = stats(fill(normal(0.02)));
    assert.ok(Math.abs(s.mean) < 0.03 * 0.02 * 3);
    assert.ok(Math.abs(s.std - 0.02) < 0.03 * 0.02);
  });

  it("uniform(bound), torchDefault(fanIn), kaimingUniform and xavierUniform stay within their bounds and fill them", () => {
    const cases: [ReturnType<typeof uniform>, number][] = [
      [uniform(0.3), 0.3],
      [torchDefault(64), 1 / 8],
      [kaimingUniform(96), Math.SQRT2 * Math.sqrt(3 / 96)],
      [xavierUniform(30, 70), Math.sqrt(6 / 100)],
    ];
    for (const [init, bound] of cases) {
      const s = stats(fill(init));
      assert.ok(s.min >= -bound && s.max <= bound, `${init.kind} within ±${bound}`);
      assert.ok(Math.abs(s.std - bound / Math.sqrt(3)) < 0.03 * bound, `${init.kind} std ${s.std}`);
    }
  });

  it("kaimingNormal(fanIn) has std √2/√fanIn", () => {
    const s = stats(fill(kaimingNormal(200)));
    assert.ok(Math.abs(s.std - Math.SQRT2 / Math.sqrt(200)) < 0.03 * (Math.SQRT2 / Math.sqrt(200)));
  });

  it("is deterministic in the generator's seed and describes itself for fingerprints", () => {
    assert.deepEqual(fill(normal(1), 100, 5), fill(normal(1), 100, 5));
    assert.notDeepEqual(fill(normal(1), 100, 5), fill(normal(1), 100, 6));
    assert.deepEqual({ kind: kaimingUniform(10).kind, args: kaimingUniform(10).args }, { kind: "kaiming-uniform", args: { fanIn: 10, gain: Math.SQRT2 } });
  });

  it("rejects non-positive scales with RangeErrors", () => {
    assert.throws(() => normal(0), RangeError);
    assert.throws(() => uniform(-1), RangeError);
    assert.throws(() => kaimingUniform(0), RangeError);
    assert.throws(() => constant(Number.NaN), RangeError);
  });
});

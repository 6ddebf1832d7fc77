import { strict as assert } from "node:assert";
import { noiseSchedule } from "../../../src/engine/diffusion/noise-schedule.js";

describe("diffusion: noise schedules", () => {
  it("linear: β from 1e-4 to 0.02 over T = 1000, ᾱ the running product of 1 − β", () => {
    const s = noiseSchedule({ kind: "linear" });
    assert.equal(s.steps, 1000);
    assert.equal(s.betas[0], 1e-4);
    assert.ok(Math.abs(s.betas[999]! - 0.02) < 1e-15);
    assert.ok(Math.abs(s.betas[500]! - (1e-4 + (0.0199 * 500) / 999)) < 1e-15);
    let prod = 1;
    for (let t = 0; t < 1000; t++) {
      prod *= 1 - s.betas[t]!;
      assert.ok(Math.abs(s.alphaBars[t]! - prod) <= 1e-15 * Math.max(prod, 1e-300) + 1e-18);
      assert.equal(s.alphas[t], 1 - s.betas[t]!);
      assert.equal(s.sqrtAlphaBars[t], Math.sqrt(s.alphaBars[t]!));
      assert.equal(s.sqrtOneMinusAlphaBars[t], Math.sqrt(1 - s.alphaBars[t]!));
    }
    // The well-known end point of DDPM's schedule: almost no signal left (ᾱ_T ≈ 4.0e-5).
    assert.ok(s.alphaBars[999]! > 3.9e-5 && s.alphaBars[999]! < 4.1e-5, `ᾱ_999 = ${s.alphaBars[999]}`);
    assert.deepEqual(s.config, { kind: "linear", steps: 1000, betaStart: 1e-4, betaEnd: 0.02 });
  });

  it("cosine: ᾱ_t = f(t+1)/f(0) with f(u) = cos²((u/T + s)/(1 + s)·π/2), β ≤ 0.999", () => {
    const T = 200;
    const s = noiseSchedule({ kind: "cosine", steps: T });
    const f = (u: number): number => Math.cos(((u / T + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    for (let t = 0; t < T; t++) {
      assert.ok(s.betas[t]! > 0 && s.betas[t]! <= 0.999);
      // Until the clip bites (only the last steps), the product telescopes to f(t + 1)/f(0).
      if (t < T - 5) assert.ok(Math.abs(s.alphaBars[t]! - f(t + 1) / f(0)) < 1e-12, `t = ${t}`);
      if (t > 0) assert.ok(s.alphaBars[t]! < s.alphaBars[t - 1]!);
    }
    assert.ok(s.alphaBars[T - 1]! < 1e-6);
  });

  it("rejects unknown kinds, too few steps and bad β ranges", () => {
    assert.throws(() => noiseSchedule({ kind: "quadratic" as "linear" }), {
      name: "RangeError",
      message: /kind must be "linear" or "cosine", got "quadratic"/,
    });
    assert.throws(() => noiseSchedule({ kind: "linear", steps: 1 }), { message: /steps must be an integer ≥ 2, got 1/ });
    assert.throws(() => noiseSchedule({ kind: "linear", betaStart: 0.1, betaEnd: 0.01 }), { message: /need 0 < betaStart ≤ betaEnd < 1/ });
  });
});

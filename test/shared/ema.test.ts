import { strict as assert } from "node:assert";
import { Ema, emaSeries } from "../../src/shared/ema.js";
import { sharedMessages } from "../../src/shared/messages.js";

describe("shared/ema", () => {
  it("is bias-corrected: the first value is returned unchanged, not pulled toward 0", () => {
    const ema = new Ema(0.9);
    assert.equal(ema.value, undefined);
    ema.push(2);
    assert.equal(ema.value, 2);
  });

  it("matches the textbook formula m_t = β m_{t−1} + (1−β) x_t, divided by 1 − β^t", () => {
    const beta = 0.8;
    const xs = [4, 2, 3, 10, 1];
    let m = 0;
    const expected = xs.map((x, i) => {
      m = beta * m + (1 - beta) * x;
      return m / (1 - beta ** (i + 1));
    });
    emaSeries(xs, beta).forEach((v, i) => assert.ok(Math.abs(v - (expected[i] ?? NaN)) < 1e-12, `t=${i + 1}: ${v} vs ${expected[i]}`));
    // a constant series stays exactly constant
    assert.deepEqual(emaSeries([0.5, 0.5, 0.5], 0.99), [0.5, 0.5, 0.5]);
  });

  it("skips NaN and infinite values instead of poisoning the average", () => {
    assert.deepEqual(emaSeries([NaN, 1, Infinity, 1], 0.5), [NaN, 1, 1, 1]);
    const ema = new Ema(0.5);
    ema.push(NaN);
    assert.equal(ema.count, 0);
  });

  it("with β = 0 follows the input exactly", () => {
    assert.deepEqual(emaSeries([3, 1, 2], 0), [3, 1, 2]);
  });

  it("rejects β outside [0, 1)", () => {
    assert.throws(
      () => new Ema(1),
      (e: unknown) => e instanceof RangeError && e.message === sharedMessages.emaBadBeta(1),
    );
    assert.throws(() => new Ema(-0.1), RangeError);
  });
});

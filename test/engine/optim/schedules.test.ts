import { strict as assert } from "node:assert";
import { constantLr, cosineWithWarmup, linearWarmup } from "../../../src/engine/optim/schedules.js";

describe("learning-rate schedules (pure functions of the completed-step count)", () => {
  it("constant: the same rate at every step", () => {
    const s = constantLr(0.003);
    assert.deepEqual(
      [0, 1, 1000].map((t) => s.lr(t)),
      [0.003, 0.003, 0.003],
    );
    assert.deepEqual(s.config, { name: "constant", lr: 0.003 });
  });

  it("linear warmup: lr·(step+1)/warmup during warmup, then lr", () => {
    const s = linearWarmup(0.1, 4);
    const want = [0.025, 0.05, 0.075, 0.1, 0.1, 0.1];
    [0, 1, 2, 3, 4, 100].forEach((t, i) => assert.ok(Math.abs(s.lr(t) - want[i]!) < 1e-15, `step ${t}`));
  });

  it("cosine with warmup: warms up, decays by half a cosine to minLr at totalSteps, then stays", () => {
    const s = cosineWithWarmup({ lr: 1, warmupSteps: 10, totalSteps: 110, minLr: 0.1 });
    assert.equal(s.lr(0), 0.1);
    assert.equal(s.lr(9), 1);
    assert.equal(s.lr(10), 1);
    assert.ok(Math.abs(s.lr(60) - 0.55) < 1e-12, "halfway down is the midpoint of lr and minLr");
    assert.ok(Math.abs(s.lr(35) - (0.1 + 0.45 * (1 + Math.cos(Math.PI / 4)))) < 1e-12);
    assert.equal(s.lr(110), 0.1);
    assert.equal(s.lr(5000), 0.1);
    for (let t = 10; t < 110; t++) assert.ok(s.lr(t + 1) <= s.lr(t), `non-increasing after warmup at ${t}`);
  });

  it("gives a resumed run the same rate for the same step", () => {
    const a = cosineWithWarmup({ lr: 0.01, warmupSteps: 3, totalSteps: 50 });
    const b = cosineWithWarmup({ lr: 0.01, warmupSteps: 3, totalSteps: 50 });
    for (let t = 0; t < 60; t++) assert.equal(a.lr(t), b.lr(t));
  });

  it("rejects bad arguments with RangeErrors", () => {
    assert.throws(() => constantLr(-1), RangeError);
    assert.throws(() => constantLr(0.1).lr(-1), /non-negative integer/);
    assert.throws(() => linearWarmup(0.1, 1.5), RangeError);
    assert.throws(() => cosineWithWarmup({ lr: 0.1, warmupSteps: 10, totalSteps: 10 }), /totalSteps must be an integer > warmupSteps/);
  });
});

import { strict as assert } from "node:assert";
import { ProgressTracker } from "../../src/run/progress.js";
import { progressMessages } from "../../src/run/progress-messages.js";

const close = (a: number | undefined, b: number, eps = 1e-9): boolean => a !== undefined && Math.abs(a - b) <= eps * Math.max(1, Math.abs(b));

describe("run/progress", () => {
  it("measures steps per second and the ETA from recorded steps and times", () => {
    const t = new ProgressTracker({ total: 1000, startTimeMs: 0 });
    for (let step = 1; step <= 100; step++) t.record(step, step * 50); // 20 steps/s
    const s = t.snapshot(5000);
    assert.equal(s.step, 100);
    assert.ok(close(s.stepsPerSecond, 20), String(s.stepsPerSecond));
    assert.ok(close(s.etaMs, (900 / 20) * 1000), String(s.etaMs)); // 900 steps left at 20/s = 45 s
    assert.equal(s.elapsedMs, 5000);
    assert.equal(s.fraction, 0.1);
    assert.equal(s.done, false);
  });

  it("has no rate or ETA before any step is timed, and an ETA of 0 when done", () => {
    const t = new ProgressTracker({ total: 2, startTimeMs: 100 });
    const before = t.snapshot(100);
    assert.equal(before.stepsPerSecond, undefined);
    assert.equal(before.etaMs, undefined);
    t.record(1, 600);
    t.record(2, 1100);
    const after = t.snapshot(1200);
    assert.ok(close(after.stepsPerSecond, 2));
    assert.equal(after.etaMs, 0);
    assert.equal(after.done, true);
    assert.equal(after.fraction, 1);
  });

  it("measures the rate over the recent window, so a slowdown shows within it", () => {
    const t = new ProgressTracker({ total: 10_000, startTimeMs: 0, rateWindowMs: 10_000 });
    let time = 0;
    let step = 0;
    for (let i = 0; i < 1000; i++) t.record(++step, (time += 10)); // 100 steps/s for 10 s
    for (let i = 0; i < 100; i++) t.record(++step, (time += 200)); // then 5 steps/s for 20 s
    const rate = t.snapshot(time).stepsPerSecond;
    assert.ok(rate !== undefined && rate > 4.9 && rate < 5.3, `rate over the last 10 s ≈ 5/s, got ${rate}`);
  });

  it("counts only this session's steps after a resume", () => {
    const t = new ProgressTracker({ total: 20_000, startStep: 12_000, startTimeMs: 1000 });
    t.record(12_010, 2000); // 10 steps in 1 s
    const s = t.snapshot(2000);
    assert.equal(s.startStep, 12_000);
    assert.ok(close(s.stepsPerSecond, 10));
    assert.ok(close(s.etaMs, 799_000));
    assert.equal(s.fraction, 12_010 / 20_000);
  });

  it("keeps memory bounded at thousands of steps per second", () => {
    const t = new ProgressTracker({ total: 1e9, startTimeMs: 0, rateWindowMs: 1000 });
    for (let step = 1; step <= 200_000; step++) t.record(step, step * 0.1); // 10,000 steps/s
    const samples = (t as unknown as { samples: unknown[] }).samples.length;
    assert.ok(samples <= 70, `${samples} samples kept`);
    assert.ok(close(t.snapshot(20_000).stepsPerSecond, 10_000, 1e-6));
  });

  it("smooths the loss with a bias-corrected EMA and keeps the last raw value", () => {
    const t = new ProgressTracker({ total: 10, startTimeMs: 0, smoothing: 0.9 });
    t.record(1, 10, 1.0);
    assert.equal(t.snapshot(10).smoothedLoss, 1.0, "no pull toward 0 after one value");
    t.record(2, 20, 0.5);
    const expected = (0.9 * 0.1 * 1.0 + 0.1 * 0.5) / (1 - 0.9 ** 2); // (β(1−β)x1 + (1−β)x2) / (1 − β²)
    const s = t.snapshot(20);
    assert.ok(close(s.smoothedLoss, expected), `${s.smoothedLoss} vs ${expected}`);
    assert.equal(s.loss, 0.5);
  });

  it("reports a NaN loss as the last loss, counts it, and keeps it out of the average", () => {
    const t = new ProgressTracker({ total: 10, startTimeMs: 0, smoothing: 0.5 });
    t.record(1, 1, 2);
    t.record(2, 2, NaN);
    const s = t.snapshot(2);
    assert.ok(Number.isNaN(s.loss));
    assert.equal(s.smoothedLoss, 2);
    assert.equal(s.nonFiniteLosses, 1);
  });

  it("seeds the smoothed loss from the checkpoint's loss history on resume", () => {
    const t = new ProgressTracker({ total: 10, startStep: 5, startTimeMs: 0, smoothing: 0.5, lossHistory: [4, 2] });
    // EMA of [4, 2] with β = 0.5: (0.25·4 + 0.5·2) / 0.75
    assert.ok(close(t.snapshot(0).smoothedLoss, 8 / 3));
    assert.equal(t.snapshot(0).loss, undefined);
  });

  it("rejects steps or times that go backwards, and bad options", () => {
    const t = new ProgressTracker({ total: 10, startStep: 3, startTimeMs: 50 });
    assert.throws(
      () => t.record(2, 60),
      (e: unknown) => e instanceof RangeError && e.message === progressMessages.stepBackwards(2, 3),
    );
    assert.throws(
      () => t.record(4, 40),
      (e: unknown) => e instanceof RangeError && e.message === progressMessages.timeBackwards(40, 50),
    );
    assert.throws(() => new ProgressTracker({ total: -1, startTimeMs: 0 }), RangeError);
    assert.throws(() => new ProgressTracker({ total: 1, startTimeMs: 0, smoothing: 1 }), RangeError);
  });
});

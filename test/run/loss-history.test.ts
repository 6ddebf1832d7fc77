import assert from "node:assert/strict";
import { LossHistory, MAX_TRAIN_POINTS } from "../../src/run/loss-history.js";

describe("run/loss-history", function () {
  it("keeps one point per step, validation points apart, and round-trips through its JSON form", function () {
    const h = new LossHistory();
    for (let s = 1; s <= 10; s++) h.record(s, 1 / s);
    h.recordValidation(10, 0.2);
    const back = LossHistory.fromJSON(JSON.parse(JSON.stringify(h.toJSON())));
    assert.ok(back !== undefined);
    assert.deepEqual(back.points(), h.points());
    assert.equal(back.points().train.length, 10);
    assert.deepEqual(back.lastValidation, { step: 10, loss: 0.2 });
    assert.deepEqual(h.recent(2), [1 / 9, 1 / 10]);
  });

  it(`stays under ${MAX_TRAIN_POINTS} training points by merging pairs into means, and a resumed history continues identically`, function () {
    const whole = new LossHistory();
    const steps = 3 * MAX_TRAIN_POINTS + 5;
    let resumed = new LossHistory();
    for (let s = 1; s <= steps; s++) {
      whole.record(s, s % 7);
      resumed.record(s, s % 7);
      if (s === 2 * MAX_TRAIN_POINTS + 3) resumed = LossHistory.fromJSON(JSON.parse(JSON.stringify(resumed.toJSON())))!;
    }
    const points = whole.points().train;
    assert.ok(points.length <= MAX_TRAIN_POINTS + 1, String(points.length));
    assert.ok(points.length > MAX_TRAIN_POINTS / 2);
    assert.equal(points.at(-1)?.step, steps);
    // Each point is the mean of the steps it covers: over many steps the mean of all losses survives.
    const mean = points.slice(0, -1).reduce((a, p) => a + p.loss, 0) / (points.length - 1);
    assert.ok(Math.abs(mean - 3) < 0.05, String(mean));
    assert.deepEqual(resumed.points(), whole.points());
  });

  it("stores a NaN loss as null and reads it back as NaN; rejects what it did not write", function () {
    const h = new LossHistory();
    h.record(1, Number.NaN);
    h.record(2, 0.5);
    const json = JSON.parse(JSON.stringify(h.toJSON())) as { train: unknown };
    assert.deepEqual(json.train, [
      [1, null],
      [2, 0.5],
    ]);
    assert.ok(Number.isNaN(LossHistory.fromJSON(json)!.points().train[0]!.loss));
    for (const bad of [
      null,
      {},
      { version: 2, stride: 1, train: [], validation: [] },
      { version: 1, stride: 0, train: [], validation: [] },
      { version: 1, stride: 1, train: [["x", 1]], validation: [] },
    ]) {
      assert.equal(LossHistory.fromJSON(bad), undefined, JSON.stringify(bad));
    }
  });
});

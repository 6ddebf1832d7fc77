/** When a lost kernel is restarted and when the supervisor gives up. */
import assert from "node:assert/strict";
import { CrashPolicy } from "../../src/supervisor/crash-policy.js";

describe("the crash policy", function () {
  it("restarts after crashes that made progress, up to maxRestarts, then gives up", function () {
    const policy = new CrashPolicy(3);
    for (let i = 0; i < 3; i++) assert.deepEqual(policy.record({ progressed: true }), { action: "restart" });
    assert.deepEqual(policy.record({ progressed: true }), { action: "give-up", why: "max-restarts" });
    assert.equal(policy.count, 4);
  });

  it("gives up at the first crash with maxRestarts 0", function () {
    assert.deepEqual(new CrashPolicy(0).record({ progressed: true }), { action: "give-up", why: "max-restarts" });
  });

  it("calls two crashes in a row without progress a crash loop, but not two apart", function () {
    const apart = new CrashPolicy(10);
    assert.equal(apart.record({ progressed: false }).action, "restart");
    assert.equal(apart.record({ progressed: true }).action, "restart");
    assert.equal(apart.record({ progressed: false }).action, "restart");
    assert.deepEqual(apart.record({ progressed: false }), { action: "give-up", why: "crash-loop" });
  });

  it("rejects a maxRestarts that is not a whole number ≥ 0", function () {
    for (const bad of [-1, 1.5, Number.NaN]) assert.throws(() => new CrashPolicy(bad), RangeError);
  });
});

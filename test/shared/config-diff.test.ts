import { strict as assert } from "node:assert";
import { diffConfigs } from "../../src/shared/config-diff.js";

/** As a config comes back from state.json: JSON.parse makes `__proto__` an own key too. */
const parsed = (text: string): unknown => JSON.parse(text);

describe("config diff", () => {
  it("reports changed, removed and added paths in the order a reader scans them", () => {
    const diff = diffConfigs(
      { lr: 0.001, model: { width: 64, layers: [1, 2, 3] }, seed: 1, "odd key": true },
      { lr: 0.002, model: { width: 64, layers: [1, 2] }, batch: 32, "odd key": true },
    );
    assert.deepEqual(diff, {
      same: false,
      changed: [{ path: "lr", old: 0.001, new: 0.002 }],
      removed: [
        { path: "model.layers[2]", value: 3 },
        { path: "seed", value: 1 },
      ],
      added: [{ path: "batch", value: 32 }],
    });
    assert.equal(diffConfigs({ a: [1, { b: Number.NaN }] }, { a: [1, { b: Number.NaN }] }).same, true);
    assert.deepEqual(diffConfigs({ "a b": { c: 1 } }, { "a b": { c: 2 } }).changed, [{ path: '["a b"].c', old: 1, new: 2 }]);
  });

  it("treats keys named like Object.prototype members as ordinary keys: a dropped constructor or toString is removed, not changed to a function", () => {
    const diff = diffConfigs(parsed('{"lr": 1, "constructor": 5, "toString": "x", "__proto__": {"a": 1}, "valueOf": [1]}'), { lr: 1 });
    assert.equal(diff.same, false);
    assert.deepEqual(diff.changed, []);
    assert.deepEqual(diff.removed, [
      { path: "constructor", value: 5 },
      { path: "toString", value: "x" },
      { path: "__proto__", value: { a: 1 } },
      { path: "valueOf", value: [1] },
    ]);
    const back = diffConfigs({ lr: 1 }, parsed('{"lr": 1, "hasOwnProperty": 2}'));
    assert.deepEqual(back.added, [{ path: "hasOwnProperty", value: 2 }]);
    assert.deepEqual(back.changed, []);
    for (const entry of [...diff.removed, ...back.added]) assert.notEqual(typeof entry.value, "function");
  });

  it("diffs configs nested deeper than the call stack without a RangeError", () => {
    const depth = 200_000;
    let a: unknown = 1;
    let b: unknown = 2;
    for (let i = 0; i < depth; i++) {
      a = { x: a };
      b = { x: b };
    }
    const diff = diffConfigs(a, b);
    assert.equal(diff.changed.length, 1);
    assert.equal(diff.changed[0]?.path.length, depth * 2 - 1, "x.x.…x");
    assert.equal(diff.changed[0]?.old, 1);
  });
});

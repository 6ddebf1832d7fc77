import { strict as assert } from "node:assert";
import { readRecordedRun } from "../../src/checkpoint/recorded-run.js";

/** state.json as the store hands it back: parsed JSON text, so `__proto__` is an own key like any other. */
const parsed = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;

describe("readRecordedRun: the run's fields of a checkpoint's state.json, read once for every reader", () => {
  it("reads what resumable() records: config, command and flags, notebook, model, best, retention and metric", () => {
    const r = readRecordedRun({
      config: { model: { kind: "mlp", hidden: 8 }, keep: { rolling: 2 }, bestMetric: { name: "val_loss", mode: "min" } },
      command: ["npm", "run", "train"],
      commandFlags: { steps: "--steps" },
      notebook: { path: "train.ipynb", cell: "c1" },
      training: { step: 4, model: { kind: "mlp", hidden: 16 } },
      model: { fingerprint: "ab", graphs: [{ graph: "predict" }, 3], previews: [{ kind: "grid", settings: {} }] },
      best: { metric: "val_loss", mode: "min", value: null, step: 4 },
    });
    assert.deepEqual(r.command, ["npm", "run", "train"]);
    assert.deepEqual(r.commandFlags, { steps: "--steps" });
    assert.deepEqual(r.notebook, { path: "train.ipynb", cell: "c1" });
    // The session's model config comes first: it is what the weights were trained as.
    assert.deepEqual(r.modelConfig, { kind: "mlp", hidden: 16 });
    assert.deepEqual(r.model, { fingerprint: "ab", graphs: [{ graph: "predict" }], previews: [{ kind: "grid", settings: {} }] });
    assert.ok(r.best !== null && r.best !== "malformed");
    assert.ok(Number.isNaN(r.best.value), "a best stored as null (non-finite) reads as NaN");
    assert.deepEqual(r.keep, { rolling: 2 });
    assert.deepEqual(r.bestMetric, { name: "val_loss", mode: "min" });
  });

  it("falls back from the session's model config to a bare state's, then to the run config's, and names the metric by best", () => {
    assert.deepEqual(readRecordedRun({ model: { kind: "ddpm" } }).modelConfig, { kind: "ddpm" });
    assert.deepEqual(readRecordedRun({ config: { model: { kind: "mlp" } }, model: { fingerprint: "x" } }).modelConfig, { kind: "mlp" });
    assert.deepEqual(readRecordedRun({ best: { metric: "acc", mode: "max", value: 0.9, step: 3 } }).bestMetric, { name: "acc", mode: "max" });
  });

  it("reads a field of the wrong shape as not recorded, and a malformed best as malformed", () => {
    const r = readRecordedRun({
      config: 5,
      command: ["a", 1],
      commandFlags: { a: "--a", b: 2 },
      notebook: { path: 3 },
      model: [],
      keep: { rolling: -1 },
      best: { metric: "x" },
    });
    assert.equal(r.config, 5, "the store diffs whatever config was recorded");
    assert.equal(r.configObject, undefined);
    assert.equal(r.command, undefined);
    assert.deepEqual(r.commandFlags, { a: "--a" });
    assert.deepEqual(r.notebook, { path: null, cell: null });
    assert.equal(r.model, undefined);
    assert.equal(r.keep, undefined);
    assert.equal(r.best, "malformed");
    assert.equal(r.bestMetric, undefined);
    assert.equal(readRecordedRun({}).best, null);
    assert.equal(readRecordedRun({ command: "python train.py" }).command, "python train.py");
  });

  it("reads own properties only: keys named like Object.prototype's members are ordinary keys or absent", () => {
    const r = readRecordedRun(parsed('{"__proto__": {"config": {"model": {"kind": "evil"}}, "command": ["rm"]}, "training": {}}'));
    assert.equal(r.config, undefined);
    assert.equal(r.command, undefined);
    assert.equal(r.modelConfig, undefined);
    const config = readRecordedRun(parsed('{"config": {"constructor": 1, "model": {"kind": "mlp"}}}')).configObject;
    assert.deepEqual(Object.keys(config ?? {}), ["constructor", "model"]);
    assert.equal(readRecordedRun(parsed('{"config": {}}')).modelConfig, undefined, "config.toString and friends are not a model");
  });
});

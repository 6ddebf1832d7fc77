/**
 * A model whose code changed under an unchanged config: the checkpoint records a fingerprint of
 * the model's loss graph, and resuming with another graph is refused like a changed config (and
 * allowed, with a warning, under allowConfigChange). The checkpoint also lists the model's stored
 * graphs, whose files are in DIR/graphs/ and hash to their names.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { fromArrays } from "../../src/engine/data/from-arrays.js";
import { relu, tanh } from "../../src/engine/graph/functional.js";
import type { Value } from "../../src/engine/graph/value.js";
import { linear } from "../../src/engine/layers/linear.js";
import { sha256Hex } from "../../src/engine/model-graph.js";
import { defineModel } from "../../src/engine/nn/define-model.js";
import { mseLoss } from "../../src/engine/graph/functional.js";
import type { ParameterScope } from "../../src/engine/nn/parameter-scope.js";
import { adamw } from "../../src/engine/optim/adamw.js";
import { constantLr } from "../../src/engine/optim/schedules.js";
import { isNbresumeError } from "../../src/errors.js";
import { RunErrorCode, runMessages as msg } from "../../src/run/messages.js";
import { resumable } from "../../src/run/resumable.js";
import { parseGraphRecords } from "../../src/run/stored-graphs.js";
import { RecordingOutput } from "./recording-output.js";

const data = fromArrays("wave", {
  x: { dtype: "float32", shape: [1], data: Float32Array.from({ length: 256 }, (_, i) => i / 128 - 1) },
  y: { dtype: "float32", shape: [1], data: Float32Array.from({ length: 256 }, (_, i) => Math.sin(3 * (i / 128 - 1))) },
});

/** The same config, the same parameters; only the activation differs between `relu` and `tanh`. */
function regression(activation: (v: Value) => Value) {
  const net = (scope: ParameterScope, x: Value): Value => linear(scope.child("out"), activation(linear(scope.child("fc"), x, 16)), 1);
  return defineModel({
    name: "wave",
    config: { hidden: 16 },
    inputs: { x: { dtype: "float32", shape: [1] }, y: { dtype: "float32", shape: [1] } },
    loss: (scope, { x, y }) => mseLoss(net(scope, x!), y!),
    graphs: { predict: { inputs: { x: { dtype: "float32", shape: [1] } }, build: (scope, { x }) => ({ y: net(scope, x!) }) } },
  });
}

function run(dir: string, activation: (v: Value) => Value, steps: number, out: RecordingOutput, allowConfigChange = false) {
  return resumable({
    dir,
    model: regression(activation),
    data: { train: data },
    optimizer: adamw(),
    schedule: constantLr(1e-2),
    steps,
    batchSize: 16,
    checkpointEvery: 10,
    output: out,
    allowConfigChange,
  });
}

describe("resumable(): a model is its code as well as its config", function () {
  this.timeout(60_000);
  let root: string;
  before(() => (root = mkdtempSync(join(tmpdir(), "nbresume-fingerprint-"))));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("records the model's stored graphs in every checkpoint, their files hashing to their names", async function () {
    const dir = join(root, "graphs");
    const out = new RecordingOutput();
    assert.equal((await run(dir, relu, 20, out).train()).status, "finished");
    const store = await CheckpointStore.open(dir, { readOnly: true });
    const ckpt = await store.resolveAndLoad("auto");
    await store.close();
    const model = (ckpt!.state as { model?: { fingerprint: string; graphs: unknown } }).model;
    assert.match(model?.fingerprint ?? "", /^[0-9a-f]{64}$/);
    const records = parseGraphRecords(model?.graphs);
    assert.deepEqual(
      records.map((r) => [r.graph, r.batchSize]),
      [["predict", 1]],
    );
    const file = join(dir, "graphs", `${records[0]!.sha256}.onnx`);
    assert.ok(existsSync(file));
    assert.equal(sha256Hex(readFileSync(file)), records[0]!.sha256);
    assert.ok(
      out.texts("info").some((t) => t === msg.noPreview(msg.noPreviewForModel())),
      "a model without previews trains and says so",
    );
  });

  it("refuses to resume when the loss graph changed under the same config, naming the checkpoint and the override", async function () {
    const dir = join(root, "changed");
    assert.equal((await run(dir, relu, 20, new RecordingOutput()).train()).status, "finished");
    const error = await run(dir, tanh, 40, new RecordingOutput())
      .train()
      .then(
        () => assert.fail("resumed a changed model"),
        (e: unknown) => e,
      );
    assert.ok(isNbresumeError(error, RunErrorCode.CONFIG_CHANGED), String(error));
    assert.match(error.message, /^The model's code changed since ckpt-step-00000020-final was saved: its loss graph computes something else now/);
    assert.match(error.message, /allowConfigChange: true/);
    // The same code resumes; with the override the changed one does too, with a warning.
    const same = await run(dir, relu, 30, new RecordingOutput()).train();
    assert.equal(same.startStep, 20);
    const out = new RecordingOutput();
    const allowed = await run(dir, tanh, 40, out, true).train();
    assert.equal(allowed.startStep, 30);
    assert.ok(out.texts("warn").includes(msg.modelGraphChangeAllowed("ckpt-step-00000030-final")), out.texts("warn").join("\n"));
  });
});

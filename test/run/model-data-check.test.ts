/**
 * A dataset column the model cannot take is refused when resumable() resolves its options —
 * before anything is shown (no config table, no "Training N steps.") — as NbresumeError
 * ENGINE_MODEL_DATA_MISMATCH with the message that names the model, the input and what to do.
 * The held-out set is checked too when the run evaluates on it.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromArrays } from "../../src/engine/data/from-arrays.js";
import { EngineErrorCode } from "../../src/engine/messages.js";
import { modelMessages } from "../../src/engine/models/messages.js";
import { mlpClassifier } from "../../src/engine/models/mlp-classifier.js";
import { nnMessages } from "../../src/engine/nn/messages.js";
import { adamw } from "../../src/engine/optim/adamw.js";
import { constantLr } from "../../src/engine/optim/schedules.js";
import { isNbresumeError } from "../../src/errors.js";
import { crossEntropy, defineModel, linear } from "../../src/nn.js";
import { resumable } from "../../src/run/resumable.js";
import type { ResumableOptions } from "../../src/run/run.js";
import { RecordingOutput } from "./recording-output.js";

const N = 64;
const x = { dtype: "float32" as const, shape: [3], data: Float32Array.from({ length: N * 3 }, (_, i) => Math.cos(i)) };
const good = fromArrays("good", { x, cls: { dtype: "int64", data: BigInt64Array.from({ length: N }, (_, i) => BigInt(i % 4)) } });

/** A user's classifier reading the columns 'x' and 'cls'. */
const model = defineModel({
  name: "m",
  inputs: { x: { dtype: "float32", shape: [3] }, cls: { dtype: "int64", shape: [] } },
  loss: (scope, { x, cls }) => crossEntropy(linear(scope.child("out"), x!, 4), cls!),
});

function options(dir: string, out: RecordingOutput, overrides: Partial<ResumableOptions>): ResumableOptions {
  return {
    dir,
    model,
    data: { train: good },
    optimizer: adamw(),
    schedule: constantLr(1e-2),
    steps: 5,
    batchSize: 8,
    output: out,
    ...overrides,
  };
}

describe("resumable(): the model's inputs against the dataset's columns", function () {
  this.timeout(60_000);
  let root: string;
  before(() => (root = mkdtempSync(join(tmpdir(), "nbresume-model-data-"))));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("refuses a column whose dtype does not convert without loss when the options are resolved, before anything is shown", function () {
    const dir = join(root, "lossy");
    const out = new RecordingOutput();
    const floatClasses = fromArrays("float-classes", { x, cls: { dtype: "float32", data: Float32Array.from({ length: N }, (_, i) => i % 4) } });
    assert.throws(
      () => resumable(options(dir, out, { data: { train: floatClasses } })),
      (e: unknown) => isNbresumeError(e, EngineErrorCode.MODEL_DATA_MISMATCH) && e.message === nnMessages.lossyColumn("m", "cls", "int64", "float32"),
    );
    assert.deepEqual(out.shown, [], "nothing shown before the error");
    assert.equal(existsSync(dir), false, "no run directory made");
  });

  it("refuses a training set without the input's column, naming the columns it has", function () {
    const out = new RecordingOutput();
    const noClasses = fromArrays("no-classes", { x, label: { dtype: "int64", data: new BigInt64Array(N) } });
    assert.throws(
      () => resumable(options(join(root, "missing"), out, { data: { train: noClasses } })),
      (e: unknown) => isNbresumeError(e, EngineErrorCode.MODEL_DATA_MISMATCH) && e.message === nnMessages.noColumnForInput("m", "cls", ["x", "label"]),
    );
    assert.deepEqual(out.shown, []);
  });

  it("refuses data a built-in model's feeds cannot read the same way (mlpClassifier without a 'labels' column)", function () {
    const out = new RecordingOutput();
    const labelled = fromArrays("labelled", { images: x, label: { dtype: "uint8", data: new Uint8Array(N) } });
    assert.throws(
      () => resumable(options(join(root, "builtin"), out, { model: mlpClassifier({ inputSize: 3, hidden: [4], classes: 2 }), data: { train: labelled } })),
      (e: unknown) =>
        isNbresumeError(e, EngineErrorCode.MODEL_DATA_MISMATCH) && e.message === modelMessages.noBatchColumn("mlpClassifier", "labels", ["images", "label"]),
    );
    assert.deepEqual(out.shown, []);
  });

  it("checks the held-out set when the run evaluates on it, and not when it does not", async function () {
    const heldOut = fromArrays("held-out", { x, cls: { dtype: "int32", shape: [1], data: new Int32Array(N) } });
    assert.throws(
      () => resumable(options(join(root, "held-out"), new RecordingOutput(), { data: { train: good, test: heldOut } })),
      (e: unknown) =>
        isNbresumeError(e, EngineErrorCode.MODEL_DATA_MISMATCH) &&
        e.message === nnMessages.columnShape("m", "cls", { dtype: "int64", shape: [8] }, { dtype: "int32", shape: [8, 1] }),
    );
    const out = new RecordingOutput();
    const run = resumable(options(join(root, "not-evaluated"), out, { data: { train: good, test: heldOut }, evalEvery: false }));
    assert.equal((await run.train()).status, "finished", "a held-out set the run never feeds to the model is not checked");
  });
});

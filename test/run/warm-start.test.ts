/**
 * initFrom: a run from scratch starting from weights on disk — a .safetensors file, a checkpoint
 * directory, an .onnx file — matched to the parameters by name, strictly by default, and with
 * strict: false loading what fits while listing every missing, unused and wrong-shaped tensor.
 * A learning rate of 0 keeps the initial weights, so the final checkpoint shows what was loaded.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSafetensors } from "../../src/checkpoint/safetensors/index.js";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { isNbresumeError } from "../../src/errors.js";
import { exportOnnx } from "../../src/engine/export.js";
import { mlpClassifier } from "../../src/engine/models/mlp-classifier.js";
import { constantLr } from "../../src/engine/optim/schedules.js";
import { RunErrorCode, runMessages as msg } from "../../src/run/messages.js";
import type { TensorGroup } from "../../src/tensor.js";
import { mlpRun } from "./mlp-run.js";
import { RecordingOutput } from "./recording-output.js";
import { assertSameModel } from "./same-model.js";

async function modelOf(path: string): Promise<TensorGroup> {
  const store = await CheckpointStore.open(join(path, ".."), { readOnly: true });
  try {
    return (await store.load(path)).tensors["model"]!;
  } finally {
    await store.close();
  }
}

async function safetensorsFile(file: string, tensors: TensorGroup): Promise<void> {
  const chunks: Uint8Array[] = [];
  await writeSafetensors({ write: async (c) => void chunks.push(c.slice()) }, tensors);
  writeFileSync(file, Buffer.concat(chunks));
}

function bits(t: TensorGroup[string] | undefined): Buffer {
  return Buffer.from(t!.data.buffer, t!.data.byteOffset, t!.data.byteLength);
}

describe("resumable(): warm start (initFrom)", function () {
  this.timeout(120_000);
  let root: string;
  let source: string;
  /** Frozen weights: lr 0 keeps whatever the run started from. */
  const frozen = { steps: 10, checkpointEvery: 10, evalEvery: false, schedule: constantLr(0), preview: false } as const;

  before(async function () {
    root = mkdtempSync(join(tmpdir(), "nbresume-init-"));
    source = (await (await mlpRun(join(root, "source"), { steps: 40 })).train()).checkpoint!.path;
  });

  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("starts from a .safetensors file, a checkpoint directory or an .onnx file, every parameter by name, and says what it loaded", async function () {
    const weights = await modelOf(source);
    const onnx = join(root, "model.onnx");
    await exportOnnx(mlpClassifier({ inputSize: 784, hidden: [32], classes: 10, dropout: 0.1 }), weights, onnx, { batchSize: 1 });
    for (const [name, from] of [
      ["safetensors", join(source, "model.safetensors")],
      ["checkpoint", source],
      ["onnx", onnx],
    ] as const) {
      const out = new RecordingOutput();
      const r = await (await mlpRun(join(root, `from-${name}`), { ...frozen, initFrom: from, output: out })).train();
      await assertSameModel(source, r.checkpoint!.path);
      const said = out.texts("info").find((t) => t.startsWith("Initial weights from"));
      assert.equal(said, `Initial weights from ${from} (${name}): loaded ${Object.keys(weights).length} parameters.`);
    }
  });

  it("refuses a file that does not fit exactly, listing every tensor; strict: false loads what fits and keeps fresh values for the rest", async function () {
    const weights = await modelOf(source);
    const file = join(root, "partial.safetensors");
    const { ["out.bias"]: _dropped, ["fc0.weight"]: fc0, ...kept } = weights;
    await safetensorsFile(file, {
      ...kept,
      "fc0.weight": { dtype: "float32", shape: [16, 784], data: new Float32Array(16 * 784) },
      "head.extra": { dtype: "float32", shape: [3], data: new Float32Array(3) },
    });
    assert.ok(fc0 !== undefined);

    const strict = new RecordingOutput();
    await assert.rejects((await mlpRun(join(root, "strict"), { ...frozen, initFrom: file, output: strict })).train(), (e: unknown) => {
      assert.ok(isNbresumeError(e, RunErrorCode.INIT_MISMATCH), String(e));
      assert.match(e.message, /not in the file: out\.bias/);
      assert.match(
        e.message,
        /wrong shape: fc0\.weight \(model float32\[784, 32\], file float32\[16, 784\]\)|wrong shape: fc0\.weight \(model float32\[32, 784\], file float32\[16, 784\]\)/,
      );
      assert.match(e.message, /not in the model: head\.extra/);
      assert.match(e.message, /strict: false/);
      return true;
    });

    const out = new RecordingOutput();
    const fresh = await (await mlpRun(join(root, "fresh"), frozen)).train();
    const partial = await (await mlpRun(join(root, "partial"), { ...frozen, initFrom: { path: file, strict: false }, output: out })).train();
    const loaded = await modelOf(partial.checkpoint!.path);
    const initial = await modelOf(fresh.checkpoint!.path);
    for (const name of Object.keys(kept)) assert.ok(bits(loaded[name]).equals(bits(weights[name])), `${name} comes from the file`);
    for (const name of ["out.bias", "fc0.weight"]) assert.ok(bits(loaded[name]).equals(bits(initial[name])), `${name} keeps its fresh initial value`);
    const said = out.texts("info").find((t) => t.startsWith("Initial weights from"));
    assert.match(
      said ?? "",
      /loaded \d+ parameters; not in the file: out\.bias; wrong shape: fc0\.weight .*; not in the model: head\.extra \(kept their fresh initial values\)\.$/,
    );
  });

  it("says initFrom is not used when there is a checkpoint to resume, and names a file that is not there", async function () {
    const dir = join(root, "resume");
    await (await mlpRun(dir, frozen)).train();
    const out = new RecordingOutput();
    await (await mlpRun(dir, { ...frozen, steps: 20, initFrom: join(source, "model.safetensors"), output: out })).train();
    assert.ok(out.texts("info").includes(msg.initIgnored(join(source, "model.safetensors"), "ckpt-step-00000010-final")), out.texts("info").join("\n"));
    await assert.rejects(
      (await mlpRun(join(root, "missing"), { ...frozen, initFrom: join(root, "nope.safetensors") })).train(),
      (e: unknown) => isNbresumeError(e, RunErrorCode.INIT_FAILED) && e.message === msg.initMissing(join(root, "nope.safetensors")),
    );
  });
});

/**
 * A changed architecture (the user's own model, its hidden width 64 → 32) is said first and
 * plainly: the checkpoint's weights do not fit the model's parameters, so allowConfigChange is not
 * offered (no override can resume them) and does not get past it either; nothing is previewed,
 * nothing warned. What the message advises works: a new dir with initFrom: { path, strict: false }
 * starts from the parameters that fit.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromArrays } from "../../src/engine/data/from-arrays.js";
import { adamw } from "../../src/engine/optim/adamw.js";
import { constantLr } from "../../src/engine/optim/schedules.js";
import { isNbresumeError } from "../../src/errors.js";
import { crossEntropy, decisionBoundaryPreview, defineModel, linear, relu, type ParameterScope, type Value } from "../../src/nn.js";
import { RunErrorCode, runMessages as msg } from "../../src/run/messages.js";
import { resumable } from "../../src/run/resumable.js";
import type { ResumableOptions } from "../../src/run/run.js";
import { RecordingOutput } from "./recording-output.js";

const N = 96;
const data = fromArrays("blobs", {
  x: { dtype: "float32", shape: [2], data: Float32Array.from({ length: N * 2 }, (_, i) => Math.sin(i * 1.7)) },
  label: { dtype: "uint8", data: Uint8Array.from({ length: N }, (_, i) => i % 3) },
});

/** A user's MLP; `configHidden` is what its config says (by default the width it builds). */
function mlp(hidden: number, configHidden = hidden) {
  const net = (scope: ParameterScope, x: Value): Value => linear(scope.child("out"), relu(linear(scope.child("fc1"), x, hidden)), 3);
  return defineModel({
    name: "blobs",
    config: { hidden: configHidden },
    inputs: { x: { dtype: "float32", shape: [2] }, label: { dtype: "int64", shape: [] } },
    loss: (scope, { x, label }) => crossEntropy(net(scope, x!), label!),
    graphs: { predict: { inputs: { x: { dtype: "float32", shape: [2] } }, build: (scope, { x }) => ({ logits: net(scope, x!) }) } },
    previews: [decisionBoundaryPreview({ resolution: 8, points: 20 })],
  });
}

function run(dir: string, hidden: number, overrides: Partial<ResumableOptions> = {}) {
  return resumable({
    dir,
    model: mlp(hidden),
    data: { train: data },
    optimizer: adamw(),
    schedule: constantLr(1e-2),
    steps: 10,
    batchSize: 16,
    checkpointEvery: 5,
    preview: { sampler: "main" },
    output: new RecordingOutput(),
    ...overrides,
  });
}

/** What the 64-wide checkpoint has that a 32-wide model cannot take. */
const FIT = {
  loaded: ["out.bias"],
  missing: [],
  unused: [],
  mismatched: [
    { name: "fc1.weight", expected: "float32[2, 32]", found: "float32[2, 64]" },
    { name: "fc1.bias", expected: "float32[32]", found: "float32[64]" },
    { name: "out.weight", expected: "float32[32, 3]", found: "float32[64, 3]" },
  ],
};

describe("resumable(): a checkpoint whose weights do not fit the model", function () {
  this.timeout(120_000);
  let root: string;
  before(() => (root = mkdtempSync(join(tmpdir(), "nbresume-architecture-"))));
  after(() => rmSync(root, { recursive: true, force: true }));

  for (const allowConfigChange of [false, true]) {
    it(`stops first, saying the architecture changed and what to do, without offering allowConfigChange (allowConfigChange: ${allowConfigChange})`, async function () {
      const dir = join(root, `narrower-${allowConfigChange}`);
      const first = await run(dir, 64).train();
      assert.equal(first.status, "finished");
      const ckpt = first.checkpoint!;

      const out = new RecordingOutput(true);
      await assert.rejects(run(dir, 32, { steps: 20, allowConfigChange, output: out }).train(), (e: unknown) => {
        assert.ok(isNbresumeError(e, RunErrorCode.STATE_MISMATCH), String(e));
        assert.equal(e.message, msg.architectureChanged(dir, ckpt.name, FIT, [{ path: "model.hidden", old: 64, new: 32 }], ckpt.path));
        assert.doesNotMatch(e.message, /pass allowConfigChange: true/);
        return true;
      });
      assert.deepEqual(out.texts("warn"), [], "no warning before the stop (no 'preview could not be rendered', no 'resuming with its weights')");
      assert.deepEqual(out.texts("image"), [], "no preview drawn");
      assert.match(out.texts("table")[0] ?? "", /^model\.hidden = 64 → 32/m, "the config change is still shown");
      assert.ok(!out.texts().some((t) => t.startsWith("Training")));
    });
  }

  it("stops the same way when only the model's code changed width, its config unchanged", async function () {
    const dir = join(root, "code-only");
    const first = await run(dir, 64).train();
    const out = new RecordingOutput(true);
    await assert.rejects(
      resumable({ ...baseOptions(dir, out), model: mlp(32, 64), allowConfigChange: true }).train(),
      (e: unknown) =>
        isNbresumeError(e, RunErrorCode.STATE_MISMATCH) && e.message === msg.architectureChanged(dir, first.checkpoint!.name, FIT, [], first.checkpoint!.path),
    );
    assert.deepEqual(out.texts("warn"), []);
    assert.deepEqual(out.texts("image"), []);
  });

  it("what it advises works: a new dir with initFrom: { path, strict: false } starts from the parameters that fit", async function () {
    const old = join(root, "advised-old");
    const first = await run(old, 64).train();
    const out = new RecordingOutput();
    const fresh = await run(join(root, "advised-new"), 32, { initFrom: { path: first.checkpoint!.path, strict: false }, output: out }).train();
    assert.equal(fresh.status, "finished");
    assert.ok(
      out.texts("info").some((t) => t.startsWith(`Initial weights from `) && t.includes("loaded 1 parameter;")),
      out.texts("info").join("\n"),
    );
  });

  function baseOptions(dir: string, output: RecordingOutput): ResumableOptions {
    return {
      dir,
      model: mlp(64),
      data: { train: data },
      optimizer: adamw(),
      schedule: constantLr(1e-2),
      steps: 20,
      batchSize: 16,
      checkpointEvery: 5,
      preview: { sampler: "main" },
      output,
    };
  }
});

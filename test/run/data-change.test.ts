/**
 * Changed data is said in words: one value edited in the training JSONL (same size, different
 * bytes) is refused with a line per dataset — the training data changed (the file, its size then
 * and now, different contents); the held-out split's file changed, its own rows the same — then
 * what to do; the table of hash keys is still shown. allowConfigChange resumes on the new data,
 * saying so. Data made in memory, without a file, is described by its contents and size.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromArrays } from "../../src/engine/data/from-arrays.js";
import { fromJsonl } from "../../src/engine/data/from-jsonl.js";
import { splitDataset } from "../../src/engine/data/split-dataset.js";
import type { Dataset } from "../../src/engine/data/dataset.js";
import { adamw } from "../../src/engine/optim/adamw.js";
import { constantLr } from "../../src/engine/optim/schedules.js";
import { isNbresumeError } from "../../src/errors.js";
import { formatBytes } from "../../src/shared/format.js";
import { crossEntropy, defineModel, linear, relu } from "../../src/nn.js";
import { RunErrorCode, runMessages as msg } from "../../src/run/messages.js";
import { resumable } from "../../src/run/resumable.js";
import type { ResumableOptions } from "../../src/run/run.js";
import { RecordingOutput } from "./recording-output.js";

const model = defineModel({
  name: "points",
  config: { hidden: 8 },
  inputs: { x: { dtype: "float32", shape: [2] }, label: { dtype: "int64", shape: [] } },
  loss: (scope, { x, label }) => crossEntropy(linear(scope.child("out"), relu(linear(scope.child("fc"), x!, 8)), 2), label!),
});

function run(dir: string, data: { train: Dataset; validation?: Dataset }, overrides: Partial<ResumableOptions> = {}) {
  return resumable({
    dir,
    model,
    data,
    optimizer: adamw(),
    schedule: constantLr(1e-2),
    steps: 6,
    batchSize: 8,
    checkpointEvery: 3,
    evalEvery: 3,
    evalBatches: 1,
    output: new RecordingOutput(),
    ...overrides,
  });
}

/** Every value written with two decimals, so editing one digit keeps the file's size. */
function line(i: number): string {
  return JSON.stringify({ x: [(i % 7) / 10 + 0.11, (i % 5) / 10 + 0.22].map((v) => Number(v.toFixed(2))), label: i % 2 });
}

async function load(file: string) {
  return splitDataset(await fromJsonl(file, { columns: { x: "float32", label: "uint8" } }), { validation: 0.25, seed: 1 });
}

describe("resumable(): changed data is said in words", function () {
  this.timeout(120_000);
  let root: string;
  before(() => (root = mkdtempSync(join(tmpdir(), "nbresume-data-change-"))));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("leads with a line per dataset whose data changed (file, size then and now, different contents), then what to do; allowConfigChange resumes on it", async function () {
    const dir = join(root, "jsonl");
    const file = join(root, "multi.jsonl");
    writeFileSync(file, Array.from({ length: 64 }, (_, i) => line(i)).join("\n") + "\n");
    const first = await load(file);
    const done = await run(dir, first).train();
    assert.equal(done.status, "finished");

    // One value of a training row edited: 0.11 → 0.91, the same number of bytes.
    const lines = readFileSync(file, "utf8").split("\n");
    const row = first.train.rows!.rows[0]!;
    const edited = lines[row]!.replace(/^\{"x":\[0\.\d/, (head) => `${head.slice(0, -1)}9`);
    assert.notEqual(edited, lines[row]);
    lines[row] = edited;
    writeFileSync(file, lines.join("\n"));
    const bytes = statSync(file).size;
    const now = await load(file);

    const same = { old: "multi.jsonl", new: "multi.jsonl", oldBytes: bytes, newBytes: bytes, differs: true };
    const trainLine = msg.dataChange({ which: "train", file: same, contents: true, sameRows: false, split: false });
    const testLine = msg.dataChange({ which: "test", file: same, contents: false, sameRows: true, split: false });
    assert.equal(trainLine, `the training data changed since the checkpoint (multi.jsonl: ${formatBytes(bytes)} → ${formatBytes(bytes)}, different contents)`);
    assert.equal(
      testLine,
      `the held-out data's file changed since the checkpoint (multi.jsonl: ${formatBytes(bytes)} → ${formatBytes(bytes)}, different contents; its own rows are the same)`,
    );

    const out = new RecordingOutput();
    await assert.rejects(run(dir, now, { steps: 12, output: out }).train(), (e: unknown) => {
      assert.ok(isNbresumeError(e, RunErrorCode.CONFIG_CHANGED), String(e));
      assert.equal(e.message, msg.dataChanged(dir, done.checkpoint!.name, [trainLine, testLine], []));
      assert.ok(e.message.startsWith(`The training data changed since the checkpoint (multi.jsonl: `), e.message);
      assert.doesNotMatch(e.message, /source\.hash|contentHash/, "no hash keys in the message");
      return true;
    });
    const table = out.texts("table")[0] ?? "";
    assert.match(table, /^dataset\.train\.contentHash = /m, "the detailed table is kept");
    assert.match(table, /^dataset\.test\.info\.source\.hash = /m);

    const allowed = new RecordingOutput();
    const resumed = await run(dir, now, { steps: 12, allowConfigChange: true, output: allowed }).train();
    assert.equal(resumed.status, "finished");
    assert.equal(resumed.startStep, 6);
    const warnings = allowed.texts("warn");
    assert.ok(warnings.includes(msg.dataChangeAllowed(trainLine)) && warnings.includes(msg.dataChangeAllowed(testLine)), warnings.join("\n"));
  });

  it("describes data made in memory by its contents and size, and lists the other unsafe changes after it", async function () {
    const dir = join(root, "arrays");
    const points = (n: number, shift: number) =>
      fromArrays("points", {
        x: { dtype: "float32", shape: [2], data: Float32Array.from({ length: n * 2 }, (_, i) => Math.sin(i + shift)) },
        label: { dtype: "uint8", data: Uint8Array.from({ length: n }, (_, i) => i % 2) },
      });
    const done = await run(dir, { train: points(40, 0) }, { evalEvery: false }).train();
    await assert.rejects(
      run(dir, { train: points(48, 1) }, { evalEvery: false, steps: 12, seed: 5 }).train(),
      (e: unknown) =>
        isNbresumeError(e, RunErrorCode.CONFIG_CHANGED) &&
        e.message ===
          msg.dataChanged(
            dir,
            done.checkpoint!.name,
            [msg.dataChange({ which: "train", contents: true, sameRows: false, count: { old: 40, new: 48 }, split: false })],
            [{ path: "seed", old: 0, new: 5 }],
          ) &&
        e.message.startsWith("The training data changed since the checkpoint (different contents; 40 → 48 examples)."),
    );
  });
});

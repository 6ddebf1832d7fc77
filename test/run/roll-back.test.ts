import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointErrorCode } from "../../src/checkpoint/messages.js";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { isNbresumeError } from "../../src/errors.js";
import { runMessages as msg } from "../../src/run/messages.js";
import { rollBack } from "../../src/run/roll-back.js";
import { mlpRun } from "./mlp-run.js";
import { RecordingOutput } from "./recording-output.js";

describe("run/roll-back and the pictures beside checkpoints", function () {
  this.timeout(60_000);
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), "nbresume-rollback-"))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("rolls back to the previous best: newer checkpoints moved aside, latest names the target, and the next train() resumes there", async function () {
    const dir = join(root, "run");
    await (await mlpRun(dir, { steps: 120, checkpointEvery: 20, evalEvery: 20 })).train();
    const reader = await CheckpointStore.open(dir, { readOnly: true, bestMetric: { name: "val_loss", mode: "min" } });
    const expected = await reader.resolve("best-previous");
    const before = (await reader.list()).checkpoints;
    await reader.close();
    assert.ok(expected !== undefined);
    const newer = before
      .filter((c) => c.step > expected.step)
      .map((c) => c.name)
      .sort();

    const back = await rollBack(dir, "best-previous");
    assert.equal(back.target.name, expected.name);
    assert.deepEqual([...back.moved].sort(), newer);
    assert.equal(back.message, msg.rolledBack(expected.name, expected.step, newer.length, back.aside, back.bytes));
    assert.equal(readFileSync(join(dir, "latest"), "utf8"), `${expected.name}\n`);
    if (newer.length > 0) {
      assert.ok(back.aside !== undefined && existsSync(back.aside));
      assert.deepEqual(readdirSync(back.aside).sort(), newer, "moved, not deleted");
    }
    const out = new RecordingOutput();
    const r = await (await mlpRun(dir, { steps: 120, checkpointEvery: 20, evalEvery: 20, output: out })).train();
    assert.equal(r.startStep, expected.step);
    assert.equal(r.status, expected.step === 120 ? "already-finished" : "finished");
  });

  it("refuses to roll back while a run of the directory holds its writer lock", async function () {
    const dir = join(root, "busy");
    const controller = new AbortController();
    let going!: () => void;
    const started = new Promise<void>((r) => (going = r));
    const out = new RecordingOutput(false, (v) => v.snapshot.step > 0 && going());
    const training = (await mlpRun(dir, { steps: 100_000, checkpointEvery: 10, evalEvery: 10, output: out })).train({ signal: controller.signal });
    await started;
    await assert.rejects(rollBack(dir, "best-previous"), (e: unknown) => isNbresumeError(e, CheckpointErrorCode.LOCKED));
    controller.abort();
    assert.equal((await training).status, "interrupted");
  });

  it("removes the sample grids of checkpoints the retention policy pruned, and keeps the previews", async function () {
    const dir = join(root, "pruned");
    await (await mlpRun(dir, { steps: 100, checkpointEvery: 20, evalEvery: false, keep: { rolling: 1, best: 0 } })).train();
    const names = readdirSync(dir).sort();
    assert.deepEqual(
      names.filter((n) => n.startsWith("ckpt-")),
      ["ckpt-step-00000080-rolling", "ckpt-step-00000100-final"],
    );
    assert.deepEqual(
      names.filter((n) => n.endsWith(".png")),
      ["loss.png", "preview-step-00000000.png", "samples-step-00000080.png", "samples-step-00000100.png"],
    );
  });
});

/**
 * Early stopping in real runs: the run stops when the validation metric has not improved for
 * `patience` evaluations, returns why, and — its counter and best value being in every
 * checkpoint — a run interrupted between two evaluations and resumed stops at the same step with
 * the same state, bitwise. The interruption comes from the injected clock, called once per step,
 * so it lands on a chosen step.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { runMessages as msg } from "../../src/run/messages.js";
import type { ResumableOptions } from "../../src/run/run.js";
import { mlpRun } from "./mlp-run.js";
import { RecordingOutput } from "./recording-output.js";
import { assertSameModel } from "./same-model.js";

async function stateOf(path: string): Promise<Record<string, unknown>> {
  const store = await CheckpointStore.open(join(path, ".."), { readOnly: true });
  try {
    return (await store.load(path)).state;
  } finally {
    await store.close();
  }
}

/** A clock that aborts `controller` on its `n`-th call (the save clock reads it twice before the first step, then once per step). */
function stoppingClock(controller: AbortController, afterSteps: number): () => number {
  let calls = 0;
  return () => {
    calls++;
    if (calls === afterSteps + 2) controller.abort();
    return calls;
  };
}

describe("resumable(): early stopping", function () {
  this.timeout(120_000);
  let root: string;
  const options: Partial<ResumableOptions> = { steps: 5000, checkpointEvery: 10_000, evalEvery: 7, evalBatches: 1, earlyStopping: { patience: 3 } };

  before(function () {
    root = mkdtempSync(join(tmpdir(), "nbresume-early-"));
  });

  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("stops when val_loss has not improved for `patience` evaluations, with a final checkpoint, and says why", async function () {
    const out = new RecordingOutput();
    const r = await (await mlpRun(join(root, "whole"), { ...options, output: out })).train();
    assert.equal(r.status, "stopped-early");
    assert.equal(r.stoppedBecause, "val_loss did not improve for 3 evaluations");
    assert.ok(r.step < 5000 && r.step % 7 === 0, `stopped at ${r.step}`);
    assert.equal(r.checkpoint?.kind, "final");
    assert.equal(r.checkpoint?.step, r.step);
    const state = (await stateOf(r.checkpoint.path))["earlyStopping"] as { best: number; bestStep: number; bad: number; stoppedAt: number };
    assert.equal(state.bad, 3);
    assert.equal(state.stoppedAt, r.step);
    assert.equal(state.bestStep, r.step - 3 * 7);
    assert.ok(out.texts("info").includes(msg.earlyStopped(r.step, "val_loss", 3, state.best, state.bestStep)), out.texts("info").join("\n"));
  });

  it("resumed between two evaluations, stops at the same step with the same weights and state as the uninterrupted run", async function () {
    const whole = await (await mlpRun(join(root, "whole-2"), options)).train();
    const dir = join(root, "interrupted");
    const controller = new AbortController();
    // Step 10: after the evaluation of step 7, before that of step 14.
    const first = await (await mlpRun(dir, { ...options, clock: stoppingClock(controller, 10) })).train({ signal: controller.signal });
    assert.equal(first.status, "interrupted");
    assert.equal(first.step, 10);
    const second = await (await mlpRun(dir, options)).train();
    assert.equal(second.status, "stopped-early");
    assert.equal(second.step, whole.step);
    await assertSameModel(whole.checkpoint!.path, second.checkpoint!.path);
    const a = await stateOf(whole.checkpoint!.path);
    const b = await stateOf(second.checkpoint!.path);
    for (const key of ["earlyStopping", "training", "data", "best", "smoothing", "history"]) assert.deepEqual(b[key], a[key], key);

    // Rerun: it already stopped, and says so; raising the patience continues it.
    const again = new RecordingOutput();
    const rerun = await (await mlpRun(dir, { ...options, output: again })).train();
    assert.equal(rerun.status, "already-finished");
    assert.ok(again.texts("info").includes(msg.alreadyStoppedEarly(whole.step, second.checkpoint!.name, "val_loss", 3)), again.texts("info").join("\n"));
    const more = await (await mlpRun(dir, { ...options, earlyStopping: { patience: 4 } })).train();
    assert.equal(more.startStep, whole.step);
    assert.ok(more.step > whole.step);
  });
});

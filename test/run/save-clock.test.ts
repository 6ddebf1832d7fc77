/**
 * When checkpoints are saved besides every N steps: every M minutes of training (an injected clock
 * that advances one second per step), the clock's state resumed from an emergency checkpoint so
 * the next save comes when the uninterrupted run's does, the live view saying when the next one
 * is due; and an epoch checkpoint every N-th epoch.
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

/** One second per call (the save clock reads it twice before the first step, then once per step); aborts `controller` after `stopAfter` steps. */
function secondsClock(controller?: AbortController, stopAfter?: number): () => number {
  let calls = 0;
  return () => {
    calls++;
    if (stopAfter !== undefined && calls === stopAfter + 2) controller?.abort();
    return calls * 1000;
  };
}

async function names(dir: string): Promise<string[]> {
  const store = await CheckpointStore.open(dir, { readOnly: true });
  try {
    return (await store.list()).checkpoints.map((c) => c.name);
  } finally {
    await store.close();
  }
}

describe("resumable(): time-based and epoch checkpoints", function () {
  this.timeout(120_000);
  let root: string;
  const timed: Partial<ResumableOptions> = { steps: 200, checkpointEvery: { minutes: 1 }, evalEvery: false, keep: { rolling: 10 } };

  before(function () {
    root = mkdtempSync(join(tmpdir(), "nbresume-clock-"));
  });

  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("saves every minute of training, and a run resumed from an emergency checkpoint saves when the uninterrupted one does", async function () {
    const whole = join(root, "whole");
    await (await mlpRun(whole, { ...timed, clock: secondsClock() })).train();
    assert.deepEqual(await names(whole), [
      "ckpt-step-00000060-rolling",
      "ckpt-step-00000120-rolling",
      "ckpt-step-00000180-rolling",
      "ckpt-step-00000200-final",
    ]);

    const dir = join(root, "interrupted");
    const controller = new AbortController();
    const first = await (await mlpRun(dir, { ...timed, clock: secondsClock(controller, 90) })).train({ signal: controller.signal });
    assert.equal(first.step, 90);
    await (await mlpRun(dir, { ...timed, clock: secondsClock() })).train();
    assert.deepEqual(await names(dir), [
      "ckpt-step-00000060-rolling",
      "ckpt-step-00000090-emergency",
      "ckpt-step-00000120-rolling",
      "ckpt-step-00000180-rolling",
      "ckpt-step-00000200-final",
    ]);
  });

  it("says in the live view when the next checkpoint is due, by step and by time", async function () {
    const out = new RecordingOutput();
    await (await mlpRun(join(root, "notes"), { steps: 3000, checkpointEvery: { steps: 1000, minutes: 10 }, evalEvery: false, output: out })).train();
    const notes = out.views.flatMap((v) => v.context.notes ?? []);
    assert.ok(
      notes.some((n) => /^next checkpoint: step 1,000 or in .+, whichever comes first$/.test(n)),
      notes.join("\n"),
    );
    const timedOut = new RecordingOutput();
    await (await mlpRun(join(root, "notes-timed"), { ...timed, steps: 20, clock: secondsClock(), output: timedOut })).train();
    const first = timedOut.views[0]?.context.notes ?? [];
    assert.ok(first.includes(msg.nextCheckpointNote(undefined, 60_000)), `a time-only schedule names no step: ${first.join(" | ")}`);
  });

  it("commits an epoch checkpoint at the end of every N-th epoch with epochCheckpoints: { every: N }", async function () {
    const perEpoch = Math.floor(9003 / 32);
    const dir = join(root, "epochs");
    await (await mlpRun(dir, { steps: 4 * perEpoch + 5, checkpointEvery: 100_000, evalEvery: false, epochCheckpoints: { every: 2 } })).train();
    const pad = (n: number): string => String(n).padStart(8, "0");
    assert.deepEqual(await names(dir), [
      `ckpt-step-${pad(2 * perEpoch)}-epoch`,
      `ckpt-step-${pad(4 * perEpoch)}-epoch`,
      `ckpt-step-${pad(4 * perEpoch + 5)}-final`,
    ]);
  });
});

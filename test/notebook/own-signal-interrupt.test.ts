/**
 * train({ signal }) with the caller's own AbortSignal still listens for the process's signals:
 * SIGTERM or SIGINT mid-training commits an emergency checkpoint, the run ends "interrupted" with
 * the signal as its reason (summary.json), train() returns to the caller, and then the process dies
 * of the signal as the sender meant. The caller aborting its own signal does the same, reason
 * "aborted", and the process lives on. Real training in real child processes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointStore } from "../../src/checkpoint/index.js";
import { runMessages } from "../../src/run/messages.js";
import { SUMMARY_FILE, type RunSummary } from "../../src/run/run-record.js";
import { REPO_ROOT } from "../support/jupyter-server.js";
import { startWatchedChild, type WatchedChild } from "../support/watched-child.js";

const CHILD = join(REPO_ROOT, "test", "notebook", "fixtures", "train-with-own-signal.ts");

interface Trainer extends WatchedChild {
  /** Waits until training has printed "step N" for some N ≥ `step`. */
  waitForStep(step: number, timeoutMs?: number): Promise<void>;
}

function startTrainer(dir: string, abortAt?: number): Trainer {
  const child = startWatchedChild(CHILD, [dir, ...(abortAt === undefined ? [] : [String(abortAt)])]);
  const reached = (out: string, step: number): boolean => [...out.matchAll(/^step (\d+)$/gm)].some((m) => Number(m[1]) >= step);
  return {
    ...child,
    waitForStep: (step, timeoutMs = 90_000) => child.waitUntil((out) => reached(out, step), `training never reached step ${step}`, timeoutMs),
  };
}

async function emergencyCheckpoints(dir: string): Promise<{ step: number; name: string }[]> {
  const store = await CheckpointStore.open(dir, { readOnly: true });
  try {
    return (await store.list({ verify: true })).checkpoints
      .filter((c) => c.kind === "emergency" && c.verified === true)
      .map((c) => ({ step: c.step, name: c.name }));
  } finally {
    await store.close();
  }
}

function summary(dir: string): RunSummary {
  return JSON.parse(readFileSync(join(dir, SUMMARY_FILE), "utf8")) as RunSummary;
}

describe("train({ signal }) with the caller's own AbortSignal, in a plain Node process", function () {
  this.timeout(180_000);
  let root: string;

  before(function () {
    root = mkdtempSync(join(tmpdir(), "nbresume-own-signal-"));
  });

  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    it(`on ${sig}: commits an emergency checkpoint, ends "interrupted (${sig})", returns to the caller, then dies of ${sig}`, async function () {
      const dir = join(root, sig);
      const child = startTrainer(dir);
      await child.waitForStep(5);
      child.kill(sig);
      const { code, signal } = await child.exited;
      const output = `exit ${code} / ${signal}; stdout:\n${child.stdout()}\nstderr:\n${child.stderr()}`;
      assert.equal(signal, sig, output);
      const ended = summary(dir);
      assert.equal(ended.status, "interrupted", output);
      assert.equal(ended.stoppedBecause, runMessages.stoppedBecause.interrupted(sig));
      assert.equal(ended.stopReason, sig, "what stopped it, for a supervisor to read");
      assert.ok(ended.step >= 5 && ended.step < 5000, output);
      assert.deepEqual(
        (await emergencyCheckpoints(dir)).map((c) => c.step),
        [ended.step],
        "one emergency checkpoint, at the step it stopped, that verifies",
      );
      assert.equal(ended.checkpoint?.name, (await emergencyCheckpoints(dir))[0]?.name);
      assert.match(child.stdout(), new RegExp(`^train\\(\\) returned: interrupted at step ${ended.step}$`, "m"), output);
    });
  }

  it('when the caller aborts its own signal: the same emergency checkpoint, reason "aborted", and the process lives on', async function () {
    const dir = join(root, "aborted");
    const child = startTrainer(dir, 5);
    const { code, signal } = await child.exited;
    const output = `exit ${code} / ${signal}; stdout:\n${child.stdout()}\nstderr:\n${child.stderr()}`;
    assert.deepEqual([code, signal], [0, null], output);
    const ended = summary(dir);
    assert.equal(ended.status, "interrupted", output);
    assert.equal(ended.stoppedBecause, runMessages.stoppedBecause.interrupted("aborted"));
    assert.equal(ended.stopReason, "aborted");
    assert.deepEqual(
      (await emergencyCheckpoints(dir)).map((c) => c.step),
      [ended.step],
    );
    assert.match(child.stdout(), new RegExp(`^train\\(\\) returned: interrupted at step ${ended.step}$`, "m"), output);
  });
});

/**
 * The run's checkpoints and the disk: rolling checkpoints are committed in the background while
 * training goes on, failures are shown and counted by the store, and saves that keep failing stop
 * the run with the store's reason, losing nothing committed before. Faults come from a real
 * free-space check that cannot pass (the worker writer, for real) or are injected through the
 * store's fs (a commit rename that fails, or that is held; the inline writer then commits).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CheckpointErrorCode, CheckpointStore } from "../../src/checkpoint/index.js";
import { type DurableFs, nodeFs } from "../../src/checkpoint/durable-fs.js";
import { checkpointMessages as messages } from "../../src/checkpoint/messages.js";
import { isNbresumeError } from "../../src/errors.js";
import { RunErrorCode, runMessages as msg } from "../../src/run/messages.js";
import type { ResumableOptions } from "../../src/run/run.js";
import { errnoError, faultFs } from "../checkpoint/fault-fs.js";
import { mlpRun } from "./mlp-run.js";
import { RecordingOutput } from "./recording-output.js";
import { assertSameModel } from "./same-model.js";

/** The commit rename of a checkpoint's temp directory (`.tmp-ckpt-step-00000040-rolling-…`): its step. */
function commitStep(target: string): number | undefined {
  const m = /^\.tmp-ckpt-step-(\d+)-/.exec(basename(target));
  return m === null ? undefined : Number(m[1]);
}

/** The store's warning for a failed background save, whatever the save's own error said. */
function isBackgroundFailure(text: string, what: string, failures: number, limit: number): boolean {
  const [head, tail] = messages.backgroundSaveFailed(what, "\u0000", failures, limit).split("\u0000.");
  return text.startsWith(head!) && text.endsWith(tail!);
}

async function checkpointsOn(dir: string): Promise<{ name: string; verified: boolean }[]> {
  const store = await CheckpointStore.open(dir, { readOnly: true });
  try {
    return (await store.list({ verify: true })).checkpoints.map((c) => ({ name: c.name, verified: c.verified === true }));
  } finally {
    await store.close();
  }
}

describe("resumable(): checkpoints saved in the background", function () {
  this.timeout(120_000);
  let root: string;

  beforeEach(function () {
    root = mkdtempSync(join(tmpdir(), "nbresume-bgsave-"));
  });

  afterEach(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("commits rolling checkpoints through the background writer thread (the default) and the final one synchronously", async function () {
    const dir = join(root, "worker");
    const r = await (await mlpRun(dir, { steps: 120, checkpointEvery: 40, evalEvery: false })).train();
    assert.equal(r.status, "finished");
    assert.deepEqual({ ...r.saves, backgroundCallMs: 0 }, { background: 2, synchronous: 1, failed: 0, backgroundCallMs: 0 });
    assert.deepEqual(await checkpointsOn(dir), [
      { name: "ckpt-step-00000040-rolling", verified: true },
      { name: "ckpt-step-00000080-rolling", verified: true },
      { name: "ckpt-step-00000120-final", verified: true },
    ]);
    for (const step of ["00000040", "00000080", "00000120"]) assert.ok(existsSync(join(dir, `samples-step-${step}.png`)), `the grid beside step ${step}`);
  });

  it("keeps the live view's disk usage to what is on disk, and says it as a line of its own every fifth save in a terminal", async function () {
    const options: Partial<ResumableOptions> = { steps: 140, checkpointEvery: 20, evalEvery: false, preview: false, keep: { rolling: 10 } };
    const notebook = new RecordingOutput(true);
    await (await mlpRun(join(root, "notebook"), { ...options, output: notebook })).train();
    const last = notebook.views.at(-1)!.context.notes ?? [];
    assert.ok(
      last.some((n) => /^disk: .* holds 7 checkpoints/.test(n)),
      last.join("\n"),
    );
    const terminal = new RecordingOutput(false);
    await (await mlpRun(join(root, "terminal"), { ...options, output: terminal })).train();
    const lines = terminal.texts("event").filter((t) => t.startsWith("disk: "));
    // Saves 1 and 6 (every fifth from the first) and the final one, the 7th.
    assert.deepEqual(
      lines.map((l) => Number(/ holds (\d+) checkpoints?/.exec(l)?.[1])),
      [1, 6, 7],
    );
  });

  it("keeps training while a rolling checkpoint's commit is held, and shows it only once it is committed", async function () {
    // The commit rename of step 3,000 is held for a second. Training goes on meanwhile (a
    // synchronous save would hold the loop, and no progress would be drawn during the hold).
    let holding = false;
    const fs: DurableFs = {
      ...nodeFs,
      rename: async (from, to) => {
        if (commitStep(from) === 3000) {
          holding = true;
          await sleep(1000);
          holding = false;
        }
        return nodeFs.rename(from, to);
      },
    };
    const dir = join(root, "held");
    const during: { step: number; committed: boolean; lastCheckpoint: number | undefined }[] = [];
    const out = new RecordingOutput(false, (view) => {
      if (holding)
        during.push({
          step: view.snapshot.step,
          committed: existsSync(join(dir, "ckpt-step-00003000-rolling")),
          lastCheckpoint: view.context.lastCheckpoint?.step,
        });
    });
    const r = await (await mlpRun(dir, { steps: 9000, checkpointEvery: 3000, evalEvery: false, output: out, checkpointStore: { fs } })).train();
    assert.equal(r.status, "finished");
    assert.ok(
      during.length >= 2 && during.at(-1)!.step > during[0]!.step && during[0]!.step > 3000,
      `training went on during the hold: ${JSON.stringify(during)}`,
    );
    for (const d of during) {
      assert.equal(d.committed, false);
      assert.equal(d.lastCheckpoint, undefined, "the live view names no checkpoint before it is committed");
    }
    assert.deepEqual({ ...r.saves, backgroundCallMs: 0 }, { background: 2, synchronous: 1, failed: 0, backgroundCallMs: 0 });
    assert.deepEqual(
      out.texts("event").filter((t) => t.includes("saved")),
      [
        msg.stepReport(3000, [msg.saved("rolling", "samples-step-00003000.png")]),
        msg.stepReport(6000, [msg.saved("rolling", "samples-step-00006000.png")]),
        msg.stepReport(9000, [msg.saved("final", "samples-step-00009000.png")]),
      ],
    );
    assert.equal(out.views.at(-1)?.context.lastCheckpoint?.step, 9000);
  });

  it("keeps training after a background save fails once, with the store's warning, and ends where an undisturbed run ends", async function () {
    let failed = 0;
    const fs = faultFs((op, target) => {
      if (op !== "rename" || commitStep(target) !== 40 || failed > 0) return undefined;
      failed++;
      return errnoError("EIO", op, target);
    });
    const dir = join(root, "once");
    const out = new RecordingOutput();
    const options: Partial<ResumableOptions> = { steps: 160, checkpointEvery: 40, evalEvery: false };
    const r = await (await mlpRun(dir, { ...options, output: out, checkpointStore: { fs } })).train();
    assert.equal(r.status, "finished");
    assert.equal(failed, 1);
    const warnings = out.texts("warn");
    assert.equal(warnings.filter((w) => isBackgroundFailure(w, "the rolling checkpoint of step 40", 1, 3)).length, 1, `shown once: ${warnings.join("\n")}`);
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.deepEqual({ ...r.saves, backgroundCallMs: 0 }, { background: 2, synchronous: 1, failed: 1, backgroundCallMs: 0 });
    assert.deepEqual(await checkpointsOn(dir), [
      { name: "ckpt-step-00000080-rolling", verified: true },
      { name: "ckpt-step-00000120-rolling", verified: true },
      { name: "ckpt-step-00000160-final", verified: true },
    ]);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith(".tmp-")),
      [],
      "the failed save left nothing behind",
    );
    const whole = await (await mlpRun(join(root, "whole"), options)).train();
    await assertSameModel(whole.checkpoint!.path, r.checkpoint!.path);
  });

  it("stops with the store's reason once maxFailedSaves saves fail in a row, keeping the checkpoint committed before; a rerun resumes from it", async function () {
    const fs = faultFs((op, target) => {
      const step = op === "rename" ? commitStep(target) : undefined;
      return step !== undefined && step >= 80 ? errnoError("EIO", op, target) : undefined;
    });
    const dir = join(root, "failing");
    const out = new RecordingOutput();
    const options: Partial<ResumableOptions> = { steps: 2000, checkpointEvery: 40, evalEvery: false };
    const error = await (await mlpRun(dir, { ...options, output: out, checkpointStore: { fs, maxFailedSaves: 3 } })).train().then(
      () => assert.fail("train() should reject"),
      (e: unknown) => e,
    );
    assert.ok(isNbresumeError(error, RunErrorCode.SAVE_FAILING), String(error));
    assert.ok(isNbresumeError(error.cause, CheckpointErrorCode.SAVES_FAILING), String(error.cause));
    assert.equal(error.message, error.cause.message, "the store's reason, as it says it");
    assert.match(error.message, /^3 checkpoint saves in a row failed in .*; the last, of the rolling checkpoint of step 160: /);

    const warnings = out.texts("warn");
    assert.equal(warnings.filter((w) => isBackgroundFailure(w, "the rolling checkpoint of step 80", 1, 3)).length, 1, warnings.join("\n"));
    assert.equal(warnings.filter((w) => isBackgroundFailure(w, "the rolling checkpoint of step 120", 2, 3)).length, 1, warnings.join("\n"));
    assert.equal(warnings.filter((w) => w === error.message).length, 1, "the reason is shown once in the output too");
    // It stopped like an interrupt: between steps, before the next save was due, trying an emergency checkpoint.
    const stopped = /^stopped at step (\d+) — /.exec(out.texts("info").at(-1) ?? "");
    assert.ok(stopped !== null, out.texts("info").join("\n"));
    const step = Number(stopped[1]);
    assert.ok(step > 160 && step <= 200, `stopped at ${step}`);
    assert.equal(out.texts("info").at(-1), msg.stoppedSavesFailing(step, "ckpt-step-00000040-rolling", false));
    const [emergencyHead] = msg.emergencySaveFailed(step, "\u0000").split("\u0000");
    assert.ok(
      warnings.some((w) => w.startsWith(emergencyHead!)),
      `the emergency checkpoint was tried: ${warnings.join("\n")}`,
    );
    const last = out.views.at(-1);
    assert.equal(last?.context.status, msg.stoppedStatus());
    assert.ok(
      last?.context.warnings?.some((w) => /^\d+ checkpoint saves in a row failed/.test(w)),
      "the live view shows the failing saves",
    );

    assert.deepEqual(await checkpointsOn(dir), [{ name: "ckpt-step-00000040-rolling", verified: true }]);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith(".tmp-")),
      [],
    );
    const again = await (await mlpRun(dir, { ...options, steps: 80, output: new RecordingOutput() })).train();
    assert.equal(again.startStep, 40);
    assert.equal(again.status, "finished");
  });

  it("stops at the first save that finds the run's lock taken by another writer, trying no more saves (not even an emergency one)", async function () {
    const dir = join(root, "lock-lost");
    let stolenAt: number | undefined;
    // Another writer takes the run over once the checkpoint of step 40 is committed: the lock's files are gone.
    class Takeover extends RecordingOutput {
      override event(text: string): void {
        super.event(text);
        const saved = /^step (\d+) .*saved rolling checkpoint/.exec(text);
        if (stolenAt === undefined && saved !== null) {
          stolenAt = Number(saved[1]);
          for (const name of readdirSync(join(dir, ".lock"))) rmSync(join(dir, ".lock", name), { force: true });
        }
      }
    }
    const out = new Takeover();
    const error = await (await mlpRun(dir, { steps: 2000, checkpointEvery: 40, evalEvery: false, preview: false, output: out })).train().then(
      () => assert.fail("train() should reject"),
      (e: unknown) => e,
    );
    assert.ok(isNbresumeError(error, RunErrorCode.SAVE_FAILING), String(error));
    assert.ok(isNbresumeError(error.cause, CheckpointErrorCode.LOCK_LOST), String(error.cause));
    assert.equal(stolenAt, 40);
    // The next save (step 80) found it; the loop stops once it knows (at the latest when the save after it is due).
    const stopped = /^stopped at step (\d+) — /.exec(out.texts("info").at(-1) ?? "");
    assert.ok(stopped !== null, out.texts("info").join("\n"));
    assert.ok(Number(stopped[1]) >= 80 && Number(stopped[1]) <= 120, `stopped at ${stopped[1]}`);
    assert.equal(out.texts("info").at(-1), msg.stoppedSavesFailing(Number(stopped[1]), "ckpt-step-00000040-rolling", false));
    const [emergencyHead] = msg.emergencySaveFailed(0, "\u0000").split("\u0000");
    assert.ok(!out.texts("warn").some((w) => w.startsWith(emergencyHead!.replace("0", ""))), "no emergency checkpoint tried");
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith("ckpt-") || n.startsWith(".tmp-")),
      ["ckpt-step-00000040-rolling"],
    );
  });

  it("tries the final checkpoint again when it fails; when it keeps failing says so plainly and returns finished-unsaved, naming no older checkpoint as final", async function () {
    let finalTries = 0;
    const failing = (times: number) =>
      faultFs((op, target) => {
        if (op !== "rename" || !/^\.tmp-ckpt-step-\d+-final-/.test(basename(target))) return undefined;
        finalTries++;
        return finalTries <= times ? errnoError("ENOSPC", op, target) : undefined;
      });
    const options: Partial<ResumableOptions> = { steps: 80, checkpointEvery: 40, evalEvery: false };
    // Once: the retry commits it.
    const once = new RecordingOutput();
    const r1 = await (await mlpRun(join(root, "final-once"), { ...options, output: once, checkpointStore: { fs: failing(1) } })).train();
    assert.equal(r1.status, "finished");
    assert.equal(r1.checkpoint?.name, "ckpt-step-00000080-final");
    assert.equal(finalTries, 2);
    // Always: three tries, then the truth.
    finalTries = 0;
    const always = new RecordingOutput();
    const dir = join(root, "final-never");
    const r2 = await (await mlpRun(dir, { ...options, output: always, checkpointStore: { fs: failing(99) } })).train();
    assert.equal(r2.status, "finished-unsaved");
    assert.equal(finalTries, 3);
    const warnings = always.texts("warn").join("\n");
    assert.match(
      warnings,
      /The final checkpoint \(step 80\) could not be saved after 3 attempts: The disk filled up while saving the final checkpoint of step 80 .*[^.]\. Training is done but its end is not saved/,
    );
    assert.ok(always.texts("warn").includes(msg.finishedUnsaved(80, "ckpt-step-00000040-rolling")), warnings);
    assert.doesNotMatch(always.texts("info").join("\n"), /^Finished at step/m, "never says it finished with a final checkpoint");
    assert.doesNotMatch(warnings, /Training continues/);
    assert.deepEqual(
      (await checkpointsOn(dir)).map((c) => c.name),
      ["ckpt-step-00000040-rolling"],
    );
    assert.ok(!existsSync(join(dir, "samples-step-00000080.png")), "no preview beside a checkpoint that was never saved");
  });

  it("writes no preview beside a background checkpoint whose save failed", async function () {
    const fs = faultFs((op, target) => (op === "rename" && commitStep(target) === 40 ? errnoError("EIO", op, target) : undefined));
    const dir = join(root, "no-grid");
    const r = await (await mlpRun(dir, { steps: 120, checkpointEvery: 40, evalEvery: false, output: new RecordingOutput(), checkpointStore: { fs } })).train();
    assert.equal(r.status, "finished");
    assert.ok(!existsSync(join(dir, "samples-step-00000040.png")), "the failed save of step 40 has no preview");
    assert.ok(existsSync(join(dir, "samples-step-00000080.png")), "the next one does");
  });

  it("rejects bad checkpointStore options with a TypeError or RangeError naming the option, before anything touches the disk", async function () {
    const dir = join(root, "options");
    const cases: [unknown, ErrorConstructor, RegExp][] = [
      ["fast", TypeError, /checkpointStore must be \{ backgroundWriter\?/],
      [{ backgroundWriter: "thread" }, TypeError, /checkpointStore\.backgroundWriter must be "worker" or "inline", got "thread"/],
      [{ maxFailedSaves: 0 }, RangeError, /checkpointStore\.maxFailedSaves must be a positive integer, got 0/],
      [{ diskMargin: -1 }, RangeError, /checkpointStore\.diskMargin must be an integer ≥ 0 \(bytes\), got -1/],
      [{ fs: "node:fs" }, TypeError, /checkpointStore\.fs must be a DurableFs/],
    ];
    for (const [checkpointStore, type, pattern] of cases) {
      await assert.rejects(
        mlpRun(dir, { checkpointStore } as Partial<ResumableOptions>),
        (e: unknown) => e instanceof type && pattern.test(e.message),
        JSON.stringify(checkpointStore),
      );
    }
    assert.equal(existsSync(dir), false);
  });

  it("stops the same way when the background writer thread cannot save at all (a free-space check that cannot pass)", async function () {
    const dir = join(root, "full");
    const out = new RecordingOutput();
    await assert.rejects(
      (
        await mlpRun(dir, {
          steps: 5000,
          checkpointEvery: 10,
          evalEvery: false,
          output: out,
          checkpointStore: { diskMargin: Number.MAX_SAFE_INTEGER, maxFailedSaves: 2 },
        })
      ).train(),
      (e: unknown) =>
        isNbresumeError(e, RunErrorCode.SAVE_FAILING) &&
        isNbresumeError(e.cause, CheckpointErrorCode.SAVES_FAILING) &&
        isNbresumeError(e.cause.cause, CheckpointErrorCode.DISK_FULL),
    );
    const stopped = /^stopped at step (\d+) — /.exec(out.texts("info").at(-1) ?? "");
    assert.ok(stopped !== null && Number(stopped[1]) >= 20 && Number(stopped[1]) <= 30, out.texts("info").join("\n"));
    assert.deepEqual(await checkpointsOn(dir), []);
  });
});

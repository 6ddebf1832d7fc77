/**
 * A run directory that cannot be written (a read-only mount): rerunning the training cell still
 * finds, verifies and previews the newest checkpoint, then says plainly that it cannot train or
 * save — instead of a raw EROFS from the writer lock.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { makeTempDir, removeDir } from "../checkpoint/temp-dirs.js";
import { canMount, mountTmpfs, remountReadOnly, unmount } from "../checkpoint/tmpfs.js";
import { mlpClassifier } from "../../src/engine/models/mlp-classifier.js";
import { isNbresumeError } from "../../src/errors.js";
import { RunErrorCode, runMessages as msg } from "../../src/run/messages.js";
import { mlpRun } from "./mlp-run.js";
import { RecordingOutput } from "./recording-output.js";

describe("resumable() on a read-only run directory", function () {
  this.timeout(120_000);
  let mountPoint: string;
  let dir: string;

  before(async function () {
    mountPoint = await makeTempDir("read-only-run");
    if (canMount) mountTmpfs(mountPoint, 64 * 1024 * 1024);
    dir = path.join(mountPoint, "run");
    const r = await (await mlpRun(dir, { steps: 40, checkpointEvery: 20, evalEvery: false, output: new RecordingOutput() })).train();
    assert.equal(r.status, "finished");
    if (canMount) remountReadOnly(mountPoint);
  });

  after(async function () {
    if (canMount) unmount(mountPoint);
    await removeDir(mountPoint);
  });

  it(
    canMount
      ? "loads and previews the newest checkpoint, says it cannot train or save, and returns read-only (a real read-only tmpfs)"
      : "is checked on a real read-only tmpfs (needs root and mount)",
    async function () {
      if (!canMount) this.skip();
      const before = readdirSync(dir).sort();
      const out = new RecordingOutput();
      const r = await (await mlpRun(dir, { steps: 80, checkpointEvery: 20, evalEvery: false, output: out })).train();
      assert.equal(r.status, "read-only");
      assert.equal(r.step, 40);
      assert.equal(r.resumedFrom?.name, "ckpt-step-00000040-final");
      assert.ok(
        out.texts("info").some((t) => t.startsWith("Found ckpt-step-00000040-final: step 40")),
        out.texts("info").join("\n"),
      );
      const warning = out.texts("warn").find((w) => w.includes("cannot be written"));
      assert.ok(
        warning !== undefined && /opened read-only — the newest checkpoint is shown, but this run cannot train or save/.test(warning),
        out.texts("warn").join("\n"),
      );
      assert.equal(warning, msg.readOnlyRun(dir, warning.slice(warning.indexOf("(") + 1, warning.indexOf("): opened"))));
      assert.ok(
        out.shown.some((s) => s.kind === "image" && s.text.startsWith("step 40 ·")),
        "the preview of the newest checkpoint is shown",
      );
      assert.deepEqual(readdirSync(dir).sort(), before, "nothing was written");
      assert.ok(!existsSync(path.join(dir, "preview-step-00000040.png")));
    },
  );

  it(
    canMount
      ? "refuses to preview the newest checkpoint with a model its weights do not fit, saying the architecture changed (a real read-only tmpfs)"
      : "checks the architecture on a real read-only tmpfs (needs root and mount)",
    async function () {
      if (!canMount) this.skip();
      const out = new RecordingOutput();
      const wider = mlpClassifier({ inputSize: 784, hidden: [48], classes: 10, dropout: 0.1 });
      await assert.rejects(
        async () => (await mlpRun(dir, { model: wider, steps: 80, checkpointEvery: 20, evalEvery: false, output: out })).train(),
        (e: unknown) => isNbresumeError(e, RunErrorCode.STATE_MISMATCH) && /the architecture changed/.test(e.message),
      );
      assert.ok(!out.shown.some((s) => s.kind === "image"), "no preview drawn with weights that do not fit");
    },
  );
});

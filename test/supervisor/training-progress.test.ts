/**
 * How far the supervisor says training got when a kernel is lost: the later of the newest
 * checkpoint that verifies (a real store, read as the supervisor reads it) and the step the lost
 * kernel's live display showed — that display is redrawn once a second, first at step 0, so it can
 * trail a checkpoint the run just committed. A new kernel starts with nothing displayed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { supervisorMessages as msg } from "../../src/supervisor/messages.js";
import { parseProgress } from "../../src/supervisor/progress-text.js";
import { TrainingProgress } from "../../src/supervisor/training-progress.js";
import { smallGroups } from "../checkpoint/patterned-tensors.js";
import { makeTempDir, removeDir } from "../checkpoint/temp-dirs.js";

function shown(step: number, total = 300): NonNullable<ReturnType<typeof parseProgress>> {
  const progress = parseProgress(`step ${step} / ${total} (${Math.round((100 * step) / total)}%)`);
  assert.ok(progress !== undefined);
  return progress;
}

describe("the training progress the supervisor reports", function () {
  let root: string;

  before(async function () {
    root = await makeTempDir("training-progress");
  });

  after(async function () {
    await removeDir(root);
  });

  it("is the newest checkpoint's step when the display still shows an earlier one (step 0 at the start)", async function () {
    const dir = join(root, "run");
    const store = await CheckpointStore.open(dir, { backgroundWriter: "inline" });
    await store.save({ kind: "rolling", step: 150, tensors: smallGroups(1) });
    await store.close();
    const progress = new TrainingProgress(dir);
    progress.see(shown(0));
    assert.equal(await progress.reached(), 150);
    progress.see(shown(170));
    assert.equal(await progress.reached(), 170, "a display ahead of the checkpoint is the later one");
  });

  it("forgets what an earlier kernel displayed, and without a run directory goes by the display alone", async function () {
    const dir = join(root, "run-2");
    const store = await CheckpointStore.open(dir, { backgroundWriter: "inline" });
    await store.save({ kind: "rolling", step: 50, tensors: smallGroups(2) });
    await store.close();
    const progress = new TrainingProgress(dir);
    progress.see(shown(120));
    progress.newKernel();
    assert.equal(await progress.reached(), 50);

    const blind = new TrainingProgress(undefined);
    assert.equal(await blind.reached(), undefined);
    blind.see(shown(42));
    assert.equal(await blind.reached(), 42);
    blind.newKernel();
    assert.equal(await blind.reached(), undefined);
  });

  it("says once, with why, that a run's location cannot be read, and goes by the display; a directory not there yet is no checkpoint, said nothing", async function () {
    const url = "s3://Not_A_Bucket/run"; // a bucket name S3 cannot have
    const said: string[] = [];
    const progress = new TrainingProgress(url, (text) => said.push(text));
    progress.see(shown(30));
    assert.equal(await progress.reached(), 30);
    assert.equal(await progress.newestCheckpoint(), undefined);
    assert.equal(await progress.summary(), undefined);
    assert.equal(said.length, 1, said.join("\n"));
    const why = /^Cannot read the run's checkpoints in s3:\/\/Not_A_Bucket\/run \((.+)\): /.exec(said[0]!)?.[1];
    assert.ok(why !== undefined && why.includes("bucket name"), said[0]);
    assert.equal(said[0], msg.progressUnreadable(url, why));

    const quiet: string[] = [];
    const missing = new TrainingProgress(join(root, "not-yet"), (text) => quiet.push(text));
    assert.equal(await missing.newestCheckpoint(), undefined);
    assert.equal(await missing.summary(), undefined);
    assert.deepEqual(quiet, []);
  });
});

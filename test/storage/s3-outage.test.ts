/**
 * A bucket that goes away for a while: the test S3 server stopped (connections refused) and
 * started again on the same port with the same objects. A writer rides out a short outage (its
 * save is late, not failed), a read-only open says at once that the service cannot be reached,
 * and an outage longer than the budget fails saves with a message about the bucket, not a disk.
 */
import { strict as assert } from "node:assert";
import { setTimeout as sleep } from "node:timers/promises";
import { CheckpointStore, isNbresumeError } from "../../src/index.js";
import { CheckpointErrorCode, checkpointMessages as messages } from "../../src/checkpoint/messages.js";
import { smallGroups } from "../checkpoint/patterned-tensors.js";
import { makeTempDir, removeDir } from "../checkpoint/temp-dirs.js";
import { startS3, type TestS3 } from "./s3-server.js";

const name = (step: number, kind = "rolling"): string => `ckpt-step-${String(step).padStart(8, "0")}-${kind}`;

describe("S3 storage through an outage (the test server stopped and started again)", function () {
  this.timeout(120_000);
  let s3: TestS3;

  before(async () => {
    s3 = await startS3();
    await s3.createBucket("outage-bucket");
  });
  after(async () => {
    await s3.close();
  });
  afterEach(async () => {
    await s3.restart(); // running again, whatever a test left
  });

  it("commits a background save started while the bucket is down once it is back within outageMs", async () => {
    const url = "s3://outage-bucket/short";
    // Without the outage budget the same outage fails the save after maxAttempts quick tries.
    const store = await CheckpointStore.open(url, { s3: s3.options({ maxAttempts: 2, retryBaseMs: 5, outageMs: 20_000 }) });
    try {
      await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
      await s3.stop();
      const bg = await store.saveInBackground({ kind: "rolling", step: 2, tensors: smallGroups(2) });
      await sleep(1500);
      await s3.restart();
      const saved = await bg.committed;
      assert.equal(saved.name, name(2));
      assert.deepEqual(
        (await store.list({ verify: true })).checkpoints.map((c) => [c.name, c.verified]),
        [
          [name(1), true],
          [name(2), true],
        ],
      );
      assert.equal(store.backgroundStatus.consecutiveFailures, 0);
    } finally {
      await store.close();
    }
  });

  it("fails a save once the outage outlasts outageMs, counting toward maxFailedSaves, and says to check the bucket, not a disk", async () => {
    const url = "s3://outage-bucket/long";
    const store = await CheckpointStore.open(url, { s3: s3.options({ maxAttempts: 2, retryBaseMs: 5, outageMs: 600 }), maxFailedSaves: 1 });
    try {
      await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
      await s3.stop();
      const started = Date.now();
      const bg = await store.saveInBackground({ kind: "rolling", step: 2, tensors: smallGroups(2) });
      const original = await bg.committed.then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(Date.now() - started >= 600, "tried for outageMs before giving up");
      assert.ok(isNbresumeError(original, CheckpointErrorCode.REMOTE_FAILED), String(original));
      const reported = await store.flush().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(isNbresumeError(reported, CheckpointErrorCode.SAVES_FAILING), String(reported));
      assert.equal(reported.message, messages.savesFailing(url, 1, "the rolling checkpoint of step 2", original.message, true));
      assert.match(reported.message, /the bucket or its endpoint cannot be reached/);
      assert.doesNotMatch(reported.message, /disk/);
    } finally {
      await s3.restart();
      await store.close().catch(() => undefined);
    }
  });

  it("closes a mirrored store whose bucket went down within outageMs, whatever was queued, shows that it waits, and resolves with what is not uploaded", async () => {
    const dir = await makeTempDir("outage-mirror");
    const mirror = "s3://outage-bucket/mirrored";
    const s3Options = s3.options({ maxAttempts: 2, retryBaseMs: 5, outageMs: 1500 });
    try {
      const store = await CheckpointStore.open(dir, { mirror, s3: s3Options, backgroundWriter: "inline", keep: { rolling: 50 } });
      await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
      for (let i = 0; i < 400 && store.backgroundStatus.mirror?.lastUploaded === undefined; i++) await sleep(25);
      assert.equal(store.backgroundStatus.mirror?.lastUploaded?.name, name(1));
      // The bucket goes away mid-run; training goes on committing locally.
      await s3.stop();
      const steps = Array.from({ length: 20 }, (_, i) => i + 2);
      for (const step of steps) await store.save({ kind: "rolling", step, tensors: smallGroups(step) });
      const started = Date.now();
      const closing = store.close();
      let seen: { since: string; giveUpAt: string } | undefined;
      for (let i = 0; i < 200 && seen === undefined; i++) {
        seen = store.backgroundStatus.mirror?.closing;
        if (seen === undefined) await sleep(10);
      }
      const result = await closing;
      const took = Date.now() - started;
      // outageMs with nothing moving, then the thread is stopped (the lease release is bounded too).
      assert.ok(took >= 1400 && took < 6000, `close took ${took} ms`);
      assert.ok(seen !== undefined && Date.parse(seen.giveUpAt) > Date.parse(seen.since), JSON.stringify(seen));
      assert.deepEqual(result.mirror?.notUploaded, steps.map((s) => name(s)).sort());
      assert.equal(result.warnings.length, 1);
      assert.equal(
        result.warnings[0],
        messages.mirrorBehind(mirror, result.mirror?.notUploaded ?? [], messages.mirrorGaveUp(store.backgroundStatus.mirror?.lastError, 2)),
      );
      assert.match(
        result.warnings[0] ?? "",
        /is behind: ckpt-step-00000002-rolling, .*, … .*ckpt-step-00000021-rolling \(20 checkpoints\) were not uploaded \(no upload made progress for 2 s/,
      );
      assert.equal(store.backgroundStatus.mirror?.closing, undefined, "not waiting any more");
      // Every checkpoint is safe locally; with the bucket back, the next open with the mirror uploads them.
      await s3.restart();
      const again = await CheckpointStore.open(dir, { mirror, s3: s3Options, backgroundWriter: "inline", keep: { rolling: 50 } });
      assert.deepEqual((await again.close()).warnings, []);
      const reader = await CheckpointStore.open(mirror, { readOnly: true, s3: s3Options });
      try {
        const names = (await reader.list()).checkpoints.map((c) => c.name);
        assert.ok(names.includes(name(21)), names.join(", "));
      } finally {
        await reader.close();
      }
    } finally {
      await removeDir(dir);
    }
  });

  it("says at once that a read-only store's bucket cannot be reached (no outage wait for a command someone waits on)", async () => {
    const url = "s3://outage-bucket/short";
    await s3.stop();
    const started = Date.now();
    await assert.rejects(
      CheckpointStore.open(url, { s3: s3.options({ maxAttempts: 2, retryBaseMs: 5, outageMs: 60_000 }), readOnly: true }),
      (e: unknown) => isNbresumeError(e, CheckpointErrorCode.REMOTE_FAILED) && e.message.includes(url),
    );
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  });
});

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

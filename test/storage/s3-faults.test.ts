/**
 * The S3 storage through a faulty network: a proxy of ours on 127.0.0.1 (fault-proxy.ts) between
 * the AWS SDK and the test S3 server drops connections (before and after the server did the
 * work), stalls past the request timeout, answers 500 / 503 SlowDown, and cuts bodies short.
 * Saves and loads retry with backoff and succeed bitwise; a service that keeps failing fails the
 * save with a clear error, its multipart upload aborted, and nothing committed is lost.
 */
import { strict as assert } from "node:assert";
import { CheckpointStore, isNbresumeError } from "../../src/index.js";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { CheckpointErrorCode, checkpointMessages as messages } from "../../src/checkpoint/messages.js";
import type { TensorGroup } from "../../src/tensor.js";
import { patterned, smallGroups } from "../checkpoint/patterned-tensors.js";
import { startFaultProxy, type Fault, type FaultProxy } from "./fault-proxy.js";
import { startS3, type TestS3 } from "./s3-server.js";

const name = (step: number): string => `ckpt-step-${String(step).padStart(8, "0")}-rolling`;
const MiB = 1024 * 1024;

/** Two 5 MiB parts and a small file per checkpoint. */
const groups = (seed: number): Record<string, TensorGroup> => ({
  model: { w: patterned(seed, [(6 * MiB) / 4]) },
  optimizer: { m: patterned(seed + 0.5, [64]) },
});

function assertSame(a: Record<string, TensorGroup>, b: Record<string, TensorGroup>): void {
  for (const [group, tensors] of Object.entries(a)) {
    for (const [t, x] of Object.entries(tensors)) {
      const y = b[group]?.[t];
      assert.ok(y, `${group}.${t} missing`);
      assert.ok(
        Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength).equals(Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength)),
        `${group}.${t} differs`,
      );
    }
  }
}

describe("S3 storage through a faulty network (a fault-injecting proxy on 127.0.0.1)", function () {
  this.timeout(120_000);
  let s3: TestS3;
  let proxy: FaultProxy;

  before(async () => {
    s3 = await startS3();
    await s3.createBucket("fault-bucket");
    proxy = await startFaultProxy({ port: s3.port });
  });
  after(async () => {
    await proxy.close();
    await s3.close();
  });
  afterEach(() => {
    proxy.rule = () => undefined;
  });

  it("retries dropped connections, stalls, 500 / 503 SlowDown and truncated bodies, and saves and loads every checkpoint bitwise", async () => {
    const url = "s3://fault-bucket/flaky";
    let seed = 12345;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const faults: Fault[] = [
      { kind: "drop" },
      { kind: "drop-after" },
      { kind: "delay", ms: 900 },
      { kind: "status", status: 500, code: "InternalError" },
      { kind: "status", status: 503, code: "SlowDown" },
    ];
    proxy.rule = ({ method }) => {
      if (random() > 0.25) return undefined;
      // A cut-short body only where there is one to cut (reads); the other faults anywhere.
      if (method === "GET" && random() < 0.4) return { kind: "truncate", bytes: Math.floor(random() * 2000) };
      return faults[Math.floor(random() * faults.length)];
    };
    const options = { s3: s3.options({ maxAttempts: 10, retryBaseMs: 1, requestTimeoutMs: 400, partBytes: 5 * MiB, partConcurrency: 2 }, proxy.endpoint) };
    const store = await CheckpointStore.open(url, { ...options, keep: { rolling: 10 } });
    try {
      for (const step of [1, 2, 3, 4]) {
        if (step % 2 === 0) await store.save({ kind: "rolling", step, tensors: groups(step) });
        else await (await store.saveInBackground({ kind: "rolling", step, tensors: groups(step) })).committed;
      }
      for (const step of [1, 2, 3, 4]) assertSame(groups(step), (await store.load(name(step))).tensors);
      assert.deepEqual(
        (await store.list({ verify: true })).checkpoints.map((c) => [c.name, c.verified]),
        [1, 2, 3, 4].map((s) => [name(s), true]),
      );
    } finally {
      await store.close();
    }
    const seen = new Set(proxy.log.map((r) => r.fault).filter((f) => f !== undefined));
    for (const kind of ["drop", "drop-after", "delay", "status", "truncate"])
      assert.ok(seen.has(kind as Fault["kind"]), `no ${kind} fault happened: ${[...seen].join(", ")}`);
    // Every request that met a fault was sent again.
    proxy.log.forEach((r, i) => {
      if (r.fault === undefined) return;
      assert.ok(
        proxy.log.slice(i + 1).some((later) => later.method === r.method && later.url === r.url),
        `${r.method} ${r.url} (${r.fault}) was not tried again`,
      );
    });
  });

  it("fails a save with a clear error when the service keeps failing, aborts its multipart upload, and loses nothing committed", async () => {
    const url = "s3://fault-bucket/failing";
    const options = { s3: s3.options({ maxAttempts: 3, retryBaseMs: 1, partBytes: 5 * MiB }, proxy.endpoint), backgroundWriter: "inline" as const };
    const store = await CheckpointStore.open(url, options);
    try {
      await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
      proxy.rule = ({ method, url: u }) => (method === "PUT" && u.includes("partNumber=") ? { kind: "status", status: 503, code: "SlowDown" } : undefined);
      await assert.rejects(
        store.save({ kind: "rolling", step: 2, tensors: groups(2) }),
        (e: unknown) =>
          isNbresumeError(e, CheckpointErrorCode.REMOTE_FAILED) &&
          new RegExp(`^uploading part \\d of ${url}/${name(2)}/model\\.safetensors failed after 3 tries:`).test(e.message) &&
          e.message.includes("SlowDown"),
      );
      const aborts = proxy.log.filter((r) => r.method === "DELETE" && r.url.includes(`${name(2)}/model.safetensors`) && r.url.includes("uploadId="));
      assert.ok(aborts.length >= 1, "the multipart upload was aborted (s3rver answers that it cannot, as some services do)");
      proxy.rule = () => undefined;
      assert.deepEqual(
        (await store.list({ verify: true })).checkpoints.map((c) => [c.name, c.verified]),
        [[name(1), true]],
      );
      // The service is back: the same step saves, and nothing of the failed try is left over.
      await store.save({ kind: "rolling", step: 2, tensors: groups(2) });
      assertSame(groups(2), (await store.load("auto")).tensors);
      assert.equal((await store.du()).temp.count, 0);
    } finally {
      await store.close();
    }
  });

  it("fails the first save after the lease was taken over with CHECKPOINT_LOCK_LOST before uploading anything, and every later save at once", async () => {
    const url = "s3://fault-bucket/taken-over";
    const store = await CheckpointStore.open(url, { s3: s3.options({}, proxy.endpoint), backgroundWriter: "inline" });
    try {
      await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
      // Paused past its lease while a writer on another machine took the prefix over.
      const other = { pid: 99, hostname: "other-host", started: new Date().toISOString(), argv: ["node"], token: "0123456789abcdef" };
      const lease = JSON.stringify({ ...other, expires: new Date(Date.now() + 600_000).toISOString() });
      await s3.client().send(new PutObjectCommand({ Bucket: "fault-bucket", Key: "taken-over/.lease.json", Body: lease }));
      const from = proxy.log.length;
      const bg = await store.saveInBackground({ kind: "rolling", step: 2, tensors: smallGroups(2) });
      await assert.rejects(bg.committed, (e: unknown) => isNbresumeError(e, CheckpointErrorCode.LOCK_LOST) && e.message.includes("other-host"));
      const sent = proxy.log.slice(from);
      assert.deepEqual(
        sent.filter((r) => r.method !== "GET" && r.method !== "HEAD"),
        [],
        "nothing was uploaded (or deleted) for the refused save",
      );
      assert.ok(!sent.some((r) => r.url.includes(name(2))), sent.map((r) => `${r.method} ${r.url}`).join("\n"));
      const reported = await store.flush().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(isNbresumeError(reported, CheckpointErrorCode.LOCK_LOST), String(reported));
      assert.equal(reported.message, messages.leaseLostStop((reported.cause as Error).message));
      const later = proxy.log.length;
      await assert.rejects(store.saveInBackground({ kind: "rolling", step: 3, tensors: smallGroups(3) }), (e: unknown) => e === reported);
      await assert.rejects(store.save({ kind: "emergency", step: 3, tensors: smallGroups(3) }), (e: unknown) => e === reported);
      assert.equal(proxy.log.length, later, "a later save sends no request at all");
    } finally {
      await store.close().catch(() => undefined);
    }
  });

  it("says 'access denied (HTTP 403)' and what to check when a read-only open's credentials are refused (a HEAD answer has no error body)", async () => {
    await assert.rejects(
      CheckpointStore.open("s3://fault-bucket/denied", {
        readOnly: true,
        s3: s3.options({ credentials: { accessKeyId: "nobody", secretAccessKey: "wrong" } }, proxy.endpoint),
      }),
      (e: unknown) =>
        isNbresumeError(e, CheckpointErrorCode.REMOTE_DENIED) &&
        e.message.includes(messages.accessDenied()) &&
        !/Unknown/.test(e.message) &&
        e.message.includes("AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY") &&
        e.message.includes("the bucket's policy"),
    );
  });

  it("says a bucket prefix holds nothing, not that a directory is missing, when a read-only open finds no objects there", async () => {
    const url = "s3://fault-bucket/nosuchprefix";
    await assert.rejects(
      CheckpointStore.open(url, { readOnly: true, s3: s3.options({}, proxy.endpoint) }),
      (e: unknown) => isNbresumeError(e, CheckpointErrorCode.DIR_MISSING) && e.message === messages.dirMissing(url, true) && !/directory/.test(e.message),
    );
  });

  it("tells a bucket that does not exist (a wrong name or endpoint: CHECKPOINT_BUCKET_MISSING) from an empty prefix, read-only and writable", async () => {
    const url = "s3://no-such-bucket/run";
    for (const readOnly of [true, false])
      await assert.rejects(
        CheckpointStore.open(url, { readOnly, s3: s3.options({}, proxy.endpoint) }),
        (e: unknown) => isNbresumeError(e, CheckpointErrorCode.BUCKET_MISSING) && e.message.startsWith(`The bucket of ${url} does not exist`),
      );
  });

  it("says which object and why when the credentials are refused, without retrying", async () => {
    const before = proxy.log.length;
    await assert.rejects(
      CheckpointStore.open("s3://fault-bucket/denied", {
        s3: s3.options({ credentials: { accessKeyId: "nobody", secretAccessKey: "wrong" } }, proxy.endpoint),
      }),
      (e: unknown) =>
        isNbresumeError(e, CheckpointErrorCode.REMOTE_DENIED) && e.message.includes("s3://fault-bucket/denied") && e.message.includes("AWS_PROFILE"),
    );
    assert.equal(proxy.log.length - before, 1, "a refusal is not retried");
  });
});

/**
 * Local + remote: a run whose store mirrors its checkpoints to a bucket (checkpointStore.mirror),
 * configured as AWS tools are (AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, …), against the test S3
 * server. The machine is lost (its directory deleted): the rerun starts from the bucket and ends
 * bitwise where an uninterrupted run ends.
 */
import { strict as assert } from "node:assert";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { CheckpointStore } from "../../src/index.js";
import type { RunStoreOptions } from "../../src/run/run.js";
import { patterned, smallGroups } from "../checkpoint/patterned-tensors.js";
import { makeTempDir, removeDir } from "../checkpoint/temp-dirs.js";
import { mlpRun } from "../run/mlp-run.js";
import { assertSameModel } from "../run/same-model.js";
import { startS3, type TestS3, useAwsEnv } from "./s3-server.js";
import { startFaultProxy } from "./fault-proxy.js";

const name = (step: number, kind = "rolling"): string => `ckpt-step-${String(step).padStart(8, "0")}-${kind}`;

describe("a local store mirrored to a bucket", function () {
  this.timeout(180_000);
  let s3: TestS3;
  let restoreEnv: () => void = () => undefined;
  const scratch: string[] = [];

  before(async () => {
    s3 = await startS3();
    await s3.createBucket("mirror-bucket");
    restoreEnv = useAwsEnv(s3);
  });
  after(async () => {
    restoreEnv();
    for (const d of scratch) await removeDir(d);
    await s3.close();
  });

  async function bucketKeys(prefix: string): Promise<string[]> {
    const out = await s3.client().send(new ListObjectsV2Command({ Bucket: "mirror-bucket", Prefix: `${prefix}/` }));
    return (out.Contents ?? []).map((o) => (o.Key as string).slice(prefix.length + 1)).sort();
  }

  it("resumes a run from the bucket on a new machine (empty local dir) and ends bitwise where an uninterrupted run ends", async () => {
    const whole = await makeTempDir("mirror-whole");
    const machine = await makeTempDir("mirror-machine");
    scratch.push(whole, machine);
    const dir = path.join(machine, "run");
    const mirror = "s3://mirror-bucket/runs/mlp";
    const checkpointStore = { mirror } as RunStoreOptions;

    const uninterrupted = await (await mlpRun(path.join(whole, "run"), { steps: 80 })).train();
    const first = await (await mlpRun(dir, { steps: 40, checkpointStore })).train();
    assert.equal(first.status, "finished");
    // Every committed checkpoint, `latest` and the model's graphs are in the bucket once the run returns.
    const keys = await bucketKeys("runs/mlp");
    assert.ok(keys.includes(`${name(40, "final")}/manifest.json`), keys.join(", "));
    assert.ok(keys.includes("latest") && keys.some((k) => k.startsWith("graphs/") && k.endsWith(".onnx")), keys.join(", "));

    // The machine is gone.
    await fsp.rm(dir, { recursive: true, force: true });
    const second = await (await mlpRun(dir, { steps: 80, checkpointStore })).train();
    assert.equal(second.status, "finished");
    assert.equal(second.resumedFrom?.name, name(40, "final"));
    assert.ok(second.checkpoint);
    await assertSameModel(uninterrupted.checkpoint!.path, second.checkpoint.path);
    // The continued run reached the bucket too.
    const reader = await CheckpointStore.open(mirror, { readOnly: true });
    try {
      const { checkpoints } = await reader.list({ verify: true });
      assert.ok(
        checkpoints.some((c) => c.name === name(80, "final") && c.verified === true),
        checkpoints.map((c) => c.name).join(", "),
      );
    } finally {
      await reader.close();
    }
  });

  it("passes over a damaged checkpoint in the bucket and pulls the newest one that verifies", async () => {
    const mirror = "s3://mirror-bucket/runs/damaged";
    const first = await makeTempDir("mirror-damaged");
    scratch.push(first);
    const store = await CheckpointStore.open(first, { mirror, backgroundWriter: "inline" });
    await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
    await store.save({ kind: "rolling", step: 2, tensors: smallGroups(2) });
    await store.close();
    const object = path.join(s3.directory, "mirror-bucket", "runs", "damaged", name(2), "optimizer.safetensors._S3rver_object");
    const bytes = await fsp.readFile(object);
    bytes[100] = (bytes[100] as number) ^ 0xff;
    await fsp.writeFile(object, bytes);

    const empty = await makeTempDir("mirror-new-machine");
    scratch.push(empty);
    const fresh = await CheckpointStore.open(empty, { mirror, backgroundWriter: "inline" });
    try {
      const status = fresh.backgroundStatus.mirror;
      assert.equal(status?.pulled?.name, name(1));
      assert.equal(status?.pulled?.skipped[0]?.name, name(2));
      assert.match(status?.pulled?.skipped[0]?.problem ?? "", /optimizer\.safetensors: hash/);
      assert.deepEqual(
        (await fresh.list({ verify: true })).checkpoints.map((c) => [c.name, c.verified]),
        [[name(1), true]],
      );
    } finally {
      await fresh.close();
    }
  });

  it("close() waits past outageMs for an upload that keeps making progress, and resolves with the bucket up to date", async () => {
    const proxy = await startFaultProxy({ port: s3.port });
    const dir = await makeTempDir("mirror-slow");
    scratch.push(dir);
    try {
      // A slow link: each 5 MiB part takes 400 ms, one at a time, so a 30 MiB checkpoint takes seconds
      // to upload, with progress every part — far longer than the 1 s close() allows with nothing moving.
      const s3Options = { endpoint: proxy.endpoint, outageMs: 1000, partBytes: 5 * 1024 * 1024, partConcurrency: 1 };
      const store = await CheckpointStore.open(dir, { mirror: "s3://mirror-bucket/runs/slow", s3: s3Options, backgroundWriter: "inline" });
      proxy.rule = ({ method, url }) => (method === "PUT" && url.includes("partNumber=") ? { kind: "delay", ms: 400 } : undefined);
      await store.save({ kind: "rolling", step: 1, tensors: { model: { w: patterned(1, [(30 * 1024 * 1024) / 4]) } } });
      const started = Date.now();
      const result = await store.close();
      const took = Date.now() - started;
      assert.ok(took > 1500, `close took ${took} ms: the upload was not waited for`);
      assert.deepEqual(result.warnings, []);
      assert.ok((await bucketKeys("runs/slow")).includes(`${name(1)}/manifest.json`));
    } finally {
      await proxy.close();
    }
  });

  it("keeps training when the bucket fails, shows it in backgroundStatus.mirror, and close() resolves saying what was not uploaded", async () => {
    const proxy = await startFaultProxy({ port: s3.port });
    const dir = await makeTempDir("mirror-down");
    scratch.push(dir);
    try {
      const store = await CheckpointStore.open(dir, {
        mirror: "s3://mirror-bucket/runs/down",
        s3: { endpoint: proxy.endpoint, maxAttempts: 2, retryBaseMs: 1 },
        backgroundWriter: "inline",
      });
      let closed = false;
      try {
        // The bucket stops answering once the store is open.
        proxy.rule = () => ({ kind: "status", status: 503, code: "SlowDown" });
        const saved = await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
        assert.deepEqual(saved.warnings, [], "the local checkpoint is committed as without a mirror");
        for (let i = 0; i < 200 && (store.backgroundStatus.mirror?.consecutiveFailures ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 25));
        const status = store.backgroundStatus.mirror;
        assert.ok(status !== undefined && status.consecutiveFailures >= 1 && status.behind >= 1, JSON.stringify(status));
        assert.match(status.lastError ?? "", /Uploading .* to the mirror s3:\/\/mirror-bucket\/runs\/down failed/);
        await store.save({ kind: "rolling", step: 2, tensors: smallGroups(2) });
        closed = true;
        // Not an error: the local checkpoints are complete; the result says what the bucket lacks.
        const result = await store.close();
        assert.deepEqual(result.mirror?.notUploaded, [name(1), name(2)]);
        assert.equal(result.warnings.length, 1);
        assert.equal(result.warnings[0], result.mirror?.warning);
        assert.match(
          result.warnings[0] ?? "",
          /^The mirror s3:\/\/mirror-bucket\/runs\/down is behind: ckpt-step-00000001-rolling, ckpt-step-00000002-rolling were not uploaded \(.*SlowDown/,
        );
        assert.match(result.warnings[0] ?? "", /The next run of this directory with the same mirror .* uploads them/);
        assert.equal(store.backgroundStatus.mirror?.warning, result.warnings[0]);
      } finally {
        if (!closed) await store.close().catch(() => undefined);
      }
      // Locally everything is there, and the directory is free again.
      const again = await CheckpointStore.open(dir, { backgroundWriter: "inline" });
      assert.deepEqual(
        (await again.list({ verify: true })).checkpoints.map((c) => c.verified),
        [true, true],
      );
      await again.close();
      // With the bucket back, reopening with the mirror uploads what it missed.
      proxy.rule = () => undefined;
      const back = await CheckpointStore.open(dir, { mirror: "s3://mirror-bucket/runs/down", s3: { endpoint: proxy.endpoint }, backgroundWriter: "inline" });
      assert.deepEqual(await back.close(), { warnings: [], mirror: { target: "s3://mirror-bucket/runs/down", notUploaded: [], warning: undefined } });
      assert.ok((await bucketKeys("runs/down")).includes(`${name(2)}/manifest.json`));
    } finally {
      await proxy.close();
    }
  });
});

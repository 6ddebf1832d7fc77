/**
 * The checkpoint store on s3://bucket/prefix, through the real AWS SDK against a real S3 API
 * server on 127.0.0.1 (s3-server.ts): the same contract as on a disk, with object storage's own
 * commit (the manifest written last), its hostile listings and its single-writer lease.
 */
import { strict as assert } from "node:assert";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { CheckpointStore, isNbresumeError } from "../../src/index.js";
import { CheckpointErrorCode, checkpointMessages as messages } from "../../src/checkpoint/messages.js";
import { MAX_SCAN_ENTRIES } from "../../src/checkpoint/dir-scan.js";
import { patterned, smallGroups } from "../checkpoint/patterned-tensors.js";
import { startS3, type TestS3 } from "./s3-server.js";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.js";
import type { TensorGroup } from "../../src/tensor.js";

const name = (step: number, kind = "rolling"): string => `ckpt-step-${String(step).padStart(8, "0")}-${kind}`;

function sameTensors(a: Record<string, TensorGroup>, b: Record<string, TensorGroup>): void {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  for (const [group, tensors] of Object.entries(a)) {
    for (const [t, tensor] of Object.entries(tensors)) {
      const other = b[group]?.[t];
      assert.ok(other, `${group}.${t} missing`);
      assert.deepEqual(other.shape, tensor.shape);
      assert.deepEqual(
        Buffer.from(other.data.buffer, other.data.byteOffset, other.data.byteLength),
        Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength),
      );
    }
  }
}

describe("checkpoint store on S3-compatible object storage (s3rver on 127.0.0.1, real AWS SDK)", function () {
  this.timeout(60_000);
  let s3: TestS3;
  let prefixes = 0;
  const fresh = (): string => `s3://runs-bucket/test/run-${++prefixes}`;

  before(async () => {
    s3 = await startS3();
    await s3.createBucket("runs-bucket");
  });
  after(async () => s3.close());

  async function keys(url: string): Promise<string[]> {
    const prefix = url.slice("s3://runs-bucket/".length);
    const out = await s3.client().send(new ListObjectsV2Command({ Bucket: "runs-bucket", Prefix: `${prefix}/` }));
    return (out.Contents ?? []).map((o) => (o.Key as string).slice(prefix.length + 1)).sort();
  }

  it("saves, lists, resolves and loads a checkpoint bitwise, with its manifest as the object that commits it", async () => {
    const url = fresh();
    const store = await CheckpointStore.open(url, { s3: s3.options(), backgroundWriter: "inline" });
    try {
      const tensors = smallGroups(3);
      const saved = await store.save({ kind: "rolling", step: 3, tensors, metrics: { loss: 0.25 }, state: { config: { lr: 0.1 } } });
      assert.equal(saved.path, `${url}/${name(3)}`);
      assert.deepEqual(saved.warnings, []);
      const listing = await store.list({ verify: true });
      assert.equal(listing.dir, url);
      assert.deepEqual(
        listing.checkpoints.map((c) => [c.name, c.verified, c.metrics]),
        [[name(3), true, { loss: 0.25 }]],
      );
      assert.equal(listing.total.bytes, saved.bytes);
      const loaded = await store.load("auto");
      sameTensors(tensors, loaded.tensors);
      assert.deepEqual(loaded.state["config"], { lr: 0.1 });
      assert.deepEqual(await store.latest(), { name: name(3) });
      assert.deepEqual((await store.readState("latest")).state["config"], { lr: 0.1 });
      assert.deepEqual(await keys(url), [
        ".lease.json",
        `${name(3)}/manifest.json`,
        `${name(3)}/model.safetensors`,
        `${name(3)}/optimizer.safetensors`,
        `${name(3)}/state.json`,
        "latest",
      ]);
      const du = await store.du();
      assert.equal(du.filesystem, undefined);
      assert.deepEqual([du.checkpoints.count, du.temp.count, du.setAside.count], [1, 0, 0]);
      await assert.rejects(store.save({ kind: "rolling", step: 3, tensors }), (e: unknown) => isNbresumeError(e, CheckpointErrorCode.EXISTS));
    } finally {
      await store.close();
    }
    const reader = await CheckpointStore.open(url, { s3: s3.options(), readOnly: true });
    try {
      assert.equal((await reader.verify(name(3))).ok, true);
    } finally {
      await reader.close();
    }
  });

  it("commits background saves from the writer thread in multipart uploads of bounded parts, and prunes the bucket by policy", async () => {
    const url = fresh();
    // 5 MiB parts (the S3 minimum): a 12 MiB tensor is three parts.
    const store = await CheckpointStore.open(url, { s3: s3.options({ partBytes: 5 * 1024 * 1024, partConcurrency: 2 }), keep: { rolling: 2 } });
    try {
      const big = (seed: number) => ({ model: { w: patterned(seed, [3 * 1024 * 1024]) }, optimizer: { m: patterned(seed + 1, [16]) } });
      for (const step of [1, 2, 3]) {
        const bg = await store.saveInBackground({ kind: "rolling", step, tensors: big(step) });
        await bg.committed;
      }
      await store.flush();
      assert.equal(store.backgroundStatus.writer, "worker");
      const { checkpoints } = await store.list({ verify: true });
      assert.deepEqual(
        checkpoints.map((c) => [c.name, c.verified]),
        [
          [name(2), true],
          [name(3), true],
        ],
      );
      sameTensors(big(3), (await store.load("auto")).tensors);
      assert.ok(!(await keys(url)).some((k) => k.startsWith(name(1))), "the pruned checkpoint's objects are gone too");
    } finally {
      await store.close();
    }
  });

  it("refuses a second writer on the same prefix naming the holder, and takes over an expired lease", async () => {
    const url = fresh();
    const first = await CheckpointStore.open(url, { s3: s3.options(), backgroundWriter: "inline" });
    try {
      await assert.rejects(
        CheckpointStore.open(url, { s3: s3.options() }),
        (e: unknown) =>
          isNbresumeError(e, CheckpointErrorCode.LOCKED) &&
          e.message.includes(`pid ${process.pid}`) &&
          e.message.includes("already open for writing in this process"),
      );
    } finally {
      await first.close();
    }
    // A writer on another host that died an hour ago without releasing its lease.
    const prefix = url.slice("s3://runs-bucket/".length);
    const dead = {
      pid: 4242,
      hostname: "gone-host",
      started: "2026-01-01T00:00:00.000Z",
      argv: ["node", "train.js"],
      token: "deadbeef",
      expires: new Date(Date.now() - 3600_000).toISOString(),
    };
    await s3.client().send(new PutObjectCommand({ Bucket: "runs-bucket", Key: `${prefix}/.lease.json`, Body: JSON.stringify(dead) }));
    const taker = await CheckpointStore.open(url, { s3: s3.options(), backgroundWriter: "inline" });
    await taker.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
    await taker.close();
    // A live writer on another host: refused, naming it and when its lease ends.
    const live = { ...dead, hostname: "other-host", pid: 777, expires: new Date(Date.now() + 3600_000).toISOString() };
    await s3.client().send(new PutObjectCommand({ Bucket: "runs-bucket", Key: `${prefix}/.lease.json`, Body: JSON.stringify(live) }));
    await assert.rejects(
      CheckpointStore.open(url, { s3: s3.options() }),
      (e: unknown) => isNbresumeError(e, CheckpointErrorCode.LOCKED) && e.message === messages.leaseHeld(`${url}/.lease.json`, live, live.expires),
    );
    // Reading needs no lease.
    const reader = await CheckpointStore.open(url, { s3: s3.options(), readOnly: true });
    assert.equal((await reader.list()).checkpoints.length, 1);
    await reader.close();
  });

  it("loses the lease to a writer that takes it over, and then commits nothing", async () => {
    const url = fresh();
    const store = await CheckpointStore.open(url, { s3: s3.options(), backgroundWriter: "inline" });
    try {
      await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
      const prefix = url.slice("s3://runs-bucket/".length);
      const other = {
        pid: 99,
        hostname: "other-host",
        started: new Date().toISOString(),
        argv: ["node"],
        token: "0123456789abcdef",
        expires: new Date(Date.now() + 600_000).toISOString(),
      };
      await s3.client().send(new PutObjectCommand({ Bucket: "runs-bucket", Key: `${prefix}/.lease.json`, Body: JSON.stringify(other) }));
      await assert.rejects(
        store.save({ kind: "rolling", step: 2, tensors: smallGroups(2) }),
        (e: unknown) => isNbresumeError(e, CheckpointErrorCode.LOCK_LOST) && e.message.includes("other-host"),
      );
      assert.deepEqual(
        (await store.list()).checkpoints.map((c) => c.name),
        [name(1)],
      );
      assert.ok(!(await keys(url)).some((k) => k.startsWith(name(2))), "the refused checkpoint's files are removed");
    } finally {
      await store.close().catch(() => undefined);
    }
  });

  it("detects a corrupted object and resolves to the previous checkpoint, naming the file", async () => {
    const url = fresh();
    const store = await CheckpointStore.open(url, { s3: s3.options(), backgroundWriter: "inline" });
    await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
    await store.save({ kind: "rolling", step: 2, tensors: smallGroups(2) });
    await store.close();
    const object = path.join(s3.directory, "runs-bucket", url.slice("s3://runs-bucket/".length), name(2), "model.safetensors._S3rver_object");
    const bytes = await fsp.readFile(object);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0xff;
    await fsp.writeFile(object, bytes);
    const reader = await CheckpointStore.open(url, { s3: s3.options(), readOnly: true });
    try {
      const loaded = await reader.resolveAndLoad("auto");
      assert.equal(loaded?.name, name(1));
      assert.equal(loaded?.skipped[0]?.name, name(2));
      assert.match(loaded?.skipped[0]?.problem ?? "", /^model\.safetensors: hash xxh64:[0-9a-f]{16} expected, xxh64:[0-9a-f]{16} found/);
      const verify = await reader.verify(name(2));
      assert.equal(verify.ok, false);
      assert.deepEqual(
        verify.problems.map((p) => [p.file, p.kind]),
        [["model.safetensors", "hash"]],
      );
    } finally {
      await reader.close();
    }
  });

  it("never lists a checkpoint whose manifest is missing, and removes its objects on the next writable open", async () => {
    const url = fresh();
    const prefix = url.slice("s3://runs-bucket/".length);
    // What a writer killed mid-upload leaves: data objects, no manifest.
    await s3.client().send(new PutObjectCommand({ Bucket: "runs-bucket", Key: `${prefix}/${name(5)}/model.safetensors`, Body: new Uint8Array(64) }));
    const reader = await CheckpointStore.open(url, { s3: s3.options(), readOnly: true });
    assert.deepEqual((await reader.list()).checkpoints, []);
    assert.deepEqual((await reader.du()).temp, { count: 1, bytes: 64, names: [name(5)] });
    assert.equal(await reader.resolve("auto"), undefined);
    await reader.close();
    const writer = await CheckpointStore.open(url, { s3: s3.options(), backgroundWriter: "inline" });
    await writer.close();
    assert.deepEqual(await keys(url), [".lease.json"]);
  });

  it("refuses hostile keys and listings: keys that climb out, a manifest naming a file outside, a checkpoint of too many objects, a listing that never ends", async () => {
    const url = fresh();
    const prefix = url.slice("s3://runs-bucket/".length);
    const store = await CheckpointStore.open(url, { s3: s3.options(), backgroundWriter: "inline" });
    await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
    await store.save({ kind: "rolling", step: 2, tensors: smallGroups(2) });
    await store.save({ kind: "rolling", step: 3, tensors: smallGroups(3) });
    await store.close();
    // A manifest edited to list a file outside its checkpoint (its checksum made to match).
    const manifestKey = `${prefix}/${name(3)}/manifest.json`;
    const text = await (await s3.client().send(new GetObjectCommand({ Bucket: "runs-bucket", Key: manifestKey }))).Body!.transformToString();
    await s3.client().send(new PutObjectCommand({ Bucket: "runs-bucket", Key: manifestKey, Body: text.replace('"model.safetensors"', '"../../etc/passwd"') }));
    const reader = await CheckpointStore.open(url, { s3: s3.options(), readOnly: true });
    try {
      const loaded = await reader.resolveAndLoad("auto");
      assert.equal(loaded?.name, name(2));
      assert.match(loaded?.skipped[0]?.problem ?? "", /manifest\.json: lists "\.\.\/\.\.\/etc\/passwd", which is neither state\.json nor <group>\.safetensors/);
    } finally {
      await reader.close();
    }

    // A hostile server: a key that climbs out of a checkpoint, a checkpoint of more objects than any
    // checkpoint has, a key of another prefix; then pages without end.
    const proxy: FaultProxy = await startFaultProxy({ port: s3.port });
    try {
      const junk = Array.from({ length: MAX_SCAN_ENTRIES + 8 }, (_, i) => `<Contents><Key>${prefix}/${name(2)}/junk-${i}</Key><Size>1</Size></Contents>`).join(
        "",
      );
      proxy.rule = ({ method, url: u }) => {
        if (method !== "GET" || !u.includes("list-type=2")) return undefined;
        return {
          kind: "listing",
          rewrite: (xml: string) =>
            xml.replace(
              "</ListBucketResult>",
              `<Contents><Key>${prefix}/${name(1)}/../../../escape</Key><Size>1</Size></Contents>${junk}<Contents><Key>elsewhere/${name(9)}/manifest.json</Key><Size>1</Size></Contents></ListBucketResult>`,
            ),
        };
      };
      const viaProxy = await CheckpointStore.open(url, { s3: s3.options({}, proxy.endpoint), readOnly: true });
      try {
        const { checkpoints } = await viaProxy.list();
        assert.ok(!checkpoints.some((c) => c.name === name(9)), "a key of another prefix is not listed");
        const one = checkpoints.find((c) => c.name === name(1));
        assert.equal(one?.problems?.[0]?.kind, "special", "a checkpoint holding a key that climbs out is refused like one holding a symlink");
        assert.match(checkpoints.find((c) => c.name === name(2))?.problems?.[0]?.message ?? "", /more than 4096 entries/);
        assert.equal(
          await viaProxy.resolve("auto").catch((e: unknown) => (e as Error).message.includes("verifies")),
          true,
          "no checkpoint is left that verifies",
        );
        proxy.rule = ({ method, url: u }) => (method === "GET" && u.includes("list-type=2") ? { kind: "endless-listing", prefix } : undefined);
        await assert.rejects(viaProxy.list(), (e: unknown) => isNbresumeError(e, CheckpointErrorCode.REMOTE_LISTING_TOO_LARGE));
      } finally {
        await viaProxy.close();
      }
    } finally {
      await proxy.close();
    }
    await assert.rejects(
      CheckpointStore.open(`s3://runs-bucket/${prefix}/../other`, { s3: s3.options(), readOnly: true }),
      (e: unknown) => e instanceof TypeError && /"\.\." segment/.test(e.message),
    );
  });
});

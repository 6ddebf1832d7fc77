import { strict as assert } from "node:assert";
import { existsSync, renameSync } from "node:fs";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { CheckpointStore, type CheckpointStoreOptions, CheckpointErrorCode } from "../../src/checkpoint/index.js";
import { hashBytes } from "../../src/checkpoint/hash.js";
import { badArgument, checkpointMessages as messages, retentionReason } from "../../src/checkpoint/messages.js";
import { isNbresumeError } from "../../src/errors.js";
import type { Tensor, TensorGroup } from "../../src/tensor.js";
import { type RetentionCandidate, resolveRetentionPolicy } from "../../src/checkpoint/retention.js";
import { faultFs } from "./fault-fs.js";
import { patterned, smallGroups } from "./patterned-tensors.js";
import { makeTempDir, removeDir } from "./temp-dirs.js";
import { referenceKeep } from "./retention-reference.js";

const bits16 = (values: number[]) => new Uint16Array(values);

/** One tensor of every dtype, with values at the edges of each type. */
function everyDtype(): TensorGroup {
  return {
    f64: { dtype: "float64", shape: [2, 3], data: new Float64Array([0, -0, 1.5, -1e308, Number.MIN_VALUE, Math.PI]) },
    f32: { dtype: "float32", shape: [4], data: new Float32Array([1, -2.5, 3.4028234663852886e38, Number.NaN]) },
    f16: { dtype: "float16", shape: [3], data: bits16([0x3c00, 0xfbff, 0x7e00]) },
    bf16: { dtype: "bfloat16", shape: [3], data: bits16([0x3f80, 0xff7f, 0x0001]) },
    i64: { dtype: "int64", shape: [3], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n]) },
    i32: { dtype: "int32", shape: [2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) },
    i16: { dtype: "int16", shape: [2], data: new Int16Array([-32768, 32767]) },
    i8: { dtype: "int8", shape: [2], data: new Int8Array([-128, 127]) },
    u8: { dtype: "uint8", shape: [2], data: new Uint8Array([0, 255]) },
    flags: { dtype: "bool", shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) },
  };
}

function assertSameGroup(actual: TensorGroup | undefined, expected: TensorGroup): void {
  assert.ok(actual, "group loaded");
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [name, t] of Object.entries(expected)) {
    const got = actual[name] as Tensor;
    assert.equal(got.dtype, t.dtype, `${name} dtype`);
    assert.deepEqual([...got.shape], [...t.shape], `${name} shape`);
    assert.equal(got.data.constructor, t.data.constructor, `${name} array type`);
    assert.deepEqual(
      new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength),
      new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      `${name} bytes`,
    );
  }
}

describe("checkpoint store", () => {
  let dir: string;
  const opened: { close(): Promise<unknown> }[] = [];
  async function open(options: CheckpointStoreOptions = {}) {
    const store = await CheckpointStore.open(dir, options);
    opened.push(store);
    return store;
  }
  beforeEach(async () => {
    dir = await makeTempDir("store");
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await removeDir(dir);
  });

  describe("save and load", () => {
    it("round-trips tensors of every dtype, empty tensors, scalars and non-ASCII names bit for bit", async () => {
      const store = await open();
      const model = {
        ...everyDtype(),
        "重み.層1": patterned(1, [3, 2]),
        "émbed/🙂": patterned(2, [2]),
        "0": patterned(3, [1]),
        empty: { dtype: "float32", shape: [0], data: new Float32Array(0) },
        "empty 3x0": { dtype: "int64", shape: [3, 0], data: new BigInt64Array(0) },
        scalar: { dtype: "float64", shape: [], data: new Float64Array([42.5]) },
        "bool scalar": { dtype: "bool", shape: [], data: new Uint8Array([1]) },
      } satisfies TensorGroup;
      const optimizer = { step: { dtype: "int64", shape: [], data: new BigInt64Array([7n]) } } satisfies TensorGroup;
      const nothing = {} satisfies TensorGroup;
      const state = { rng: { s: ["123", "456"] }, cursor: 17, history: [0.5, 0.25], note: "Schritt über Grenzen ✓", config: { lr: 0.001 } };
      const saved = await store.save({
        kind: "rolling",
        step: 12,
        epoch: 1,
        tensors: { model, optimizer, "ema-0.999": nothing },
        state,
        metrics: { loss: 0.25, diverged: Number.NaN },
      });
      assert.equal(saved.name, "ckpt-step-00000012-rolling");
      assert.deepEqual(saved.groups.sort(), ["ema-0.999", "model", "optimizer"]);

      const loaded = await store.load(saved);
      assertSameGroup(loaded.tensors.model, model);
      assertSameGroup(loaded.tensors.optimizer, optimizer);
      assertSameGroup(loaded.tensors["ema-0.999"], nothing);
      assert.equal(loaded.step, 12);
      assert.equal(loaded.epoch, 1);
      assert.equal(loaded.metrics.loss, 0.25);
      assert.ok(Number.isNaN(loaded.metrics.diverged), "a non-finite metric comes back as NaN");
      assert.deepEqual(
        { rng: loaded.state.rng, cursor: loaded.state.cursor, history: loaded.state.history, note: loaded.state.note, config: loaded.state.config },
        state,
      );
      assert.equal(loaded.state.format, 1);
      assert.equal(loaded.state.nbresume, (JSON.parse(await readFile("package.json", "utf8")) as { version: string }).version);
      assert.equal(loaded.state.step, 12);
      assert.equal(loaded.manifest.kind, "rolling");
    });

    it("writes state.json, manifest.json and one safetensors file per group, listing each file's size and hash", async () => {
      const store = await open();
      const saved = await store.save({ kind: "epoch", step: 3, epoch: 2, tensors: smallGroups(1), state: { a: 1 }, metrics: { val_loss: 0.5 } });
      const files = (await readdir(saved.path)).sort();
      assert.deepEqual(files, ["manifest.json", "model.safetensors", "optimizer.safetensors", "state.json"]);
      const manifest = JSON.parse(await readFile(path.join(saved.path, "manifest.json"), "utf8")) as {
        kind: string;
        step: number;
        epoch: number;
        metrics: unknown;
        created: string;
        files: Record<string, { hash: string }>;
      };
      assert.deepEqual(Object.keys(manifest), ["format", "nbresume", "kind", "step", "epoch", "metrics", "created", "files", "checksum"]);
      assert.equal(manifest.kind, "epoch");
      assert.equal(manifest.step, 3);
      assert.equal(manifest.epoch, 2);
      assert.deepEqual(manifest.metrics, { val_loss: 0.5 });
      assert.ok(!Number.isNaN(Date.parse(manifest.created)));
      for (const name of ["model.safetensors", "optimizer.safetensors", "state.json"]) {
        const bytes = await readFile(path.join(saved.path, name));
        const entry = manifest.files[name];
        assert.deepEqual(entry, { bytes: bytes.byteLength, hash: hashBytes(bytes) }, name);
        assert.match(entry.hash, /^xxh64:[0-9a-f]{16}$/);
      }
      assert.equal((await readFile(path.join(dir, "latest"), "utf8")).trim(), "ckpt-step-00000003-epoch");
    });

    it("refuses to save the same step and kind twice and leaves the first untouched", async () => {
      const store = await open();
      const first = await store.save({ kind: "rolling", step: 5, tensors: smallGroups(1) });
      const before = await readFile(path.join(first.path, "manifest.json"));
      await assert.rejects(
        store.save({ kind: "rolling", step: 5, tensors: smallGroups(2) }),
        (e: unknown) => isNbresumeError(e, CheckpointErrorCode.EXISTS) && e.message === messages.exists(first.path, 5, "rolling"),
      );
      assert.deepEqual(await readFile(path.join(first.path, "manifest.json")), before);
      await store.save({ kind: "emergency", step: 5, tensors: smallGroups(2) }); // another kind at the same step is fine
      assert.deepEqual(
        (await readdir(dir)).filter((n) => n.startsWith(".tmp-")),
        [],
      );
    });

    it("rejects bad arguments with TypeError/RangeError before touching the disk", async () => {
      const store = await open();
      await assert.rejects(async () => store.save({ kind: "daily" as "rolling", step: 1, tensors: {} }), TypeError);
      await assert.rejects(async () => store.save({ kind: "rolling", step: -1, tensors: {} }), RangeError);
      await assert.rejects(async () => store.save({ kind: "rolling", step: 1, tensors: { "../evil": {} } }), {
        name: "TypeError",
        message: badArgument.groupName("../evil"),
      });
      await assert.rejects(
        async () => store.save({ kind: "rolling", step: 1, tensors: { model: { w: { dtype: "float32", shape: [3], data: new Float32Array(2) } } } }),
        RangeError,
      );
      await assert.rejects(async () => store.save({ kind: "rolling", step: 1, tensors: {}, state: { step: 2 } }), {
        name: "TypeError",
        message: badArgument.stateConflict("step", 2, 1, ["format", "nbresume", "kind", "step", "epoch", "metrics"]),
      });
      await assert.rejects(async () => store.save({ kind: "rolling", step: 1, tensors: {}, state: { big: 1n } }), /not JSON-serializable/);
      assert.deepEqual(
        (await readdir(dir)).filter((n) => !n.startsWith(".lock")),
        [],
      );
    });

    it("detects a byte changed after resolve while load reads the file", async () => {
      const store = await open();
      await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
      const hit = await store.resolve("auto");
      assert.ok(hit);
      const file = path.join(hit.path, "optimizer.safetensors");
      const bytes = await readFile(file);
      bytes[bytes.length - 3] ^= 0x40;
      await writeFile(file, bytes);
      await assert.rejects(store.load(hit), (e: unknown) => {
        assert.ok(isNbresumeError(e, CheckpointErrorCode.CORRUPT));
        assert.match(e.message, /optimizer\.safetensors: hash xxh64:[0-9a-f]{16} expected, xxh64:[0-9a-f]{16} found/);
        assert.equal(e.where, file);
        return true;
      });
    });
  });

  describe("resolve", () => {
    const best = { name: "val_loss", mode: "min" as const };

    it("loads a ref's checkpoint reading each file once: the read's hashing is the verification", async () => {
      const opened: string[] = [];
      const counting = faultFs((op, target) => {
        if (op === "open" || op === "readFile") opened.push(path.basename(target));
        return undefined;
      });
      const store = await open({ fs: counting });
      await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1), state: { cursor: 1 } });
      await store.save({ kind: "rolling", step: 2, tensors: smallGroups(2), state: { cursor: 2 } });
      for (const load of [() => store.resolveAndLoad("auto"), () => store.load("latest")]) {
        opened.length = 0;
        const loaded = await load();
        assert.equal(loaded?.state.cursor, 2);
        assert.deepEqual(loaded?.skipped, []);
        const dataReads = opened.filter((f) => f.endsWith(".safetensors") || f === "state.json").sort();
        assert.deepEqual(dataReads, ["model.safetensors", "optimizer.safetensors", "state.json"]);
      }
    });

    it("answers undefined for auto in an empty directory (a fresh start) and throws for explicit refs", async () => {
      const store = await open({ bestMetric: best });
      assert.equal(await store.resolve("auto"), undefined);
      assert.equal(await store.resolveAndLoad("auto"), undefined);
      for (const ref of ["latest", "best", "best-previous", "step:3"]) {
        await assert.rejects(store.resolve(ref), (e: unknown) => isNbresumeError(e, CheckpointErrorCode.NOT_FOUND), ref);
      }
      await assert.rejects(store.resolve(path.join(dir, "ckpt-step-00000001-rolling")), (e: unknown) => isNbresumeError(e, CheckpointErrorCode.NOT_FOUND));
      await assert.rejects(store.load("auto"), (e: unknown) => isNbresumeError(e, CheckpointErrorCode.NOT_FOUND));
      await assert.rejects(store.resolveAndLoad(path.join(dir, "ckpt-step-00000001-rolling")), (e: unknown) =>
        isNbresumeError(e, CheckpointErrorCode.NOT_FOUND),
      );
    });

    it("resolves auto, latest, best, best-previous, step:N, a path and a bare name", async () => {
      const store = await open({ bestMetric: best, keep: { rolling: 10, emergency: 10, best: 3 } });
      await store.save({ kind: "rolling", step: 10, tensors: smallGroups(10), metrics: { val_loss: 0.9 } });
      await store.save({ kind: "epoch", step: 20, epoch: 1, tensors: smallGroups(20), metrics: { val_loss: 0.3 } });
      await store.save({ kind: "rolling", step: 30, tensors: smallGroups(30), metrics: { val_loss: 0.5 } });
      await store.save({ kind: "emergency", step: 35, tensors: smallGroups(35) });
      const stepOf = async (ref: string) => (await store.resolve(ref))?.step;
      assert.equal(await stepOf("auto"), 35, "an emergency save can be the newest");
      assert.equal(await stepOf("latest"), 35);
      assert.equal(await stepOf("best"), 20);
      assert.equal(await stepOf("best-previous"), 30);
      assert.equal(await stepOf("step:10"), 10);
      assert.equal(await stepOf(path.join(dir, "ckpt-step-00000030-rolling")), 30);
      assert.equal(await stepOf("ckpt-step-00000020-epoch"), 20);
      const hit = await store.resolve("best");
      assert.ok(hit);
      assert.equal(hit.verified, true);
      assert.deepEqual(hit.skipped, []);
      assert.equal((await store.load("best-previous")).tensors.model?.w?.data[0], 30);
      assert.equal((await store.resolveAndLoad("best-previous"))?.tensors.model?.w?.data[0], 30);
      assert.equal((await store.resolveAndLoad(path.join(dir, "ckpt-step-00000020-epoch")))?.step, 20);
      assert.equal((await store.resolveAndLoad("ckpt-step-00000010-rolling"))?.step, 10);
      await assert.rejects(store.resolve("step:x"), TypeError);
    });

    it("prefers the newer of two checkpoints at the same step and follows latest even when it is older", async () => {
      const store = await open();
      await store.save({ kind: "rolling", step: 50, tensors: smallGroups(1) });
      await new Promise((r) => setTimeout(r, 5));
      await store.save({ kind: "emergency", step: 50, tensors: smallGroups(2) });
      assert.equal((await store.resolve("auto"))?.kind, "emergency");
      await store.save({ kind: "rolling", step: 40, tensors: smallGroups(3) }); // e.g. after rolling back
      assert.equal((await store.resolve("latest"))?.step, 40);
      assert.equal((await store.resolve("auto"))?.step, 50);
    });

    it("says best needs a best metric when none is configured", async () => {
      const store = await open();
      await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1), metrics: { val_loss: 1 } });
      await assert.rejects(
        store.resolve("best"),
        (e: unknown) => isNbresumeError(e, CheckpointErrorCode.NOT_FOUND) && e.message === messages.notFound("best", dir, messages.noBestMetric()),
      );
    });

    it("falls back from a latest pointer that names nothing, saying so", async () => {
      const store = await open();
      await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
      await writeFile(path.join(dir, "latest"), "garbage\n");
      const hit = await store.resolve("latest");
      assert.equal(hit?.step, 1);
      assert.equal(hit?.skipped[0]?.name, "latest");
      assert.equal(hit?.skipped[0]?.problem, messages.latestProblem('holds "garbage", not a checkpoint name'));
    });
  });

  describe("list, du, prune, diff and resume command", () => {
    it("lists every committed checkpoint with totals per kind, never temp dirs", async () => {
      const store = await open({ keep: { rolling: 5, emergency: 5 } });
      const a = await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1), metrics: { loss: 2 } });
      const b = await store.save({ kind: "emergency", step: 2, epoch: 1, tensors: smallGroups(2) });
      await store.save({ kind: "final", step: 3, tensors: smallGroups(3) });
      await writeFile(path.join(dir, ".tmp-ckpt-step-00000004-rolling-1-abcd"), "partial");
      const listing = await store.list({ verify: true });
      assert.deepEqual(
        listing.checkpoints.map((c) => c.name),
        [a.name, b.name, "ckpt-step-00000003-final"],
      );
      assert.ok(listing.checkpoints.every((c) => c.verified === true));
      assert.equal(listing.checkpoints[0]?.bytes, a.bytes);
      assert.deepEqual(listing.checkpoints[1]?.epoch, 1);
      assert.deepEqual(listing.totals.rolling, { count: 1, bytes: a.bytes });
      assert.deepEqual(listing.totals.emergency, { count: 1, bytes: b.bytes });
      assert.equal(listing.totals.epoch.count, 0);
      assert.equal(listing.total.count, 3);
      const du = await store.du();
      assert.equal(du.checkpoints.bytes, listing.total.bytes);
      assert.deepEqual(du.temp, { count: 1, bytes: 7, names: [".tmp-ckpt-step-00000004-rolling-1-abcd"] });
    });

    it("does not report a checkpoint pruned by the writer while a reader verifies it as damaged", async () => {
      const writer = await open({ keep: { rolling: 5 } });
      await writer.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
      await writer.save({ kind: "rolling", step: 2, tensors: smallGroups(2) });
      const doomed = path.join(dir, "ckpt-step-00000002-rolling");
      const aside = path.join(dir, ".tmp-deleting-2");
      // A reader whose fs lets the writer's prune rename step 2 away the moment it opens step 2's model file.
      const racingReader = () => {
        if (!existsSync(doomed)) renameSync(aside, doomed); // put back after the previous race
        return open({
          readOnly: true,
          fs: faultFs((op, target) => {
            if (op === "open" && target === path.join(doomed, "model.safetensors")) renameSync(doomed, aside);
            return undefined;
          }),
        });
      };
      const listing = await (await racingReader()).list({ verify: true });
      assert.deepEqual(
        listing.checkpoints.map((c) => [c.step, c.verified]),
        [[1, true]],
      );
      const hit = await (await racingReader()).resolve("auto");
      assert.equal(hit?.step, 1);
      assert.deepEqual(hit?.skipped, [], "a vanished checkpoint is not damage");
      // The same race while loading (resolveAndLoad reads each candidate once).
      const loaded = await (await racingReader()).resolveAndLoad("auto");
      assert.equal(loaded?.step, 1);
      assert.deepEqual(loaded?.skipped, [], "a checkpoint that vanished mid-load is not damage");
    });

    it("removes temp leftovers when a writer opens, but not when a reader opens", async () => {
      await mkdir(path.join(dir, ".tmp-ckpt-step-00000009-rolling-99-dead"));
      await writeFile(path.join(dir, ".tmp-ckpt-step-00000009-rolling-99-dead", "model.safetensors"), "partial");
      await writeFile(path.join(dir, ".tmp-leftover"), "partial");
      const reader = await open({ readOnly: true });
      assert.ok((await readdir(dir)).includes(".tmp-leftover"));
      await reader.close();
      await open();
      assert.ok(!(await readdir(dir)).some((n) => n.startsWith(".tmp-")));
    });

    it("prunes after each save by policy and explains a dry run with a reason per checkpoint", async () => {
      const store = await open({ keep: { rolling: 2, emergency: 1, best: 1 }, bestMetric: { name: "val_loss", mode: "min" } });
      const pruned: string[] = [];
      for (let step = 1; step <= 5; step++) {
        const saved = await store.save({ kind: "rolling", step, tensors: smallGroups(step), metrics: { val_loss: step === 2 ? 0.1 : 1 } });
        pruned.push(...saved.pruned);
      }
      assert.deepEqual(pruned, ["ckpt-step-00000001-rolling", "ckpt-step-00000003-rolling"]);
      const names = (await store.list()).checkpoints.map((c) => c.step);
      assert.deepEqual(names, [2, 4, 5]);
      const plan = await store.prune({ dryRun: true });
      assert.equal(plan.dryRun, true);
      assert.deepEqual(plan.delete, []);
      const two = plan.keep.find((k) => k.step === 2);
      assert.ok(two?.reasons.includes(retentionReason.currentBest("val_loss", 0.1)), JSON.stringify(two));

      const lenient = await CheckpointStore.open(dir, { readOnly: true, keep: { rolling: 1 } });
      const dry = await lenient.prune();
      assert.equal(dry.dryRun, true, "a read-only store only plans");
      assert.deepEqual(
        dry.delete.map((d) => d.step),
        [4, 2],
      );
      assert.deepEqual(dry.delete[0]?.reasons, [retentionReason.outOfPool("rolling", 2, 1)]);
      assert.deepEqual(
        (await store.list()).checkpoints.map((c) => c.step),
        [2, 4, 5],
      );
    });

    it("keeps exactly what the policies promise through a long random sequence of real saves", async () => {
      const keep = { rolling: 3, emergency: 2, best: 2, epoch: { every: 2 } };
      const bestMetric = { name: "val_loss", mode: "min" as const };
      const store = await open({ keep, bestMetric });
      const policy = resolveRetentionPolicy(keep);
      const history: RetentionCandidate[] = [];
      let seed = 12345;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      let epoch = 0;
      for (let step = 1; step <= 60; step++) {
        const r = random();
        const kind = r < 0.55 ? "rolling" : r < 0.8 ? "emergency" : r < 0.97 ? "epoch" : "final";
        if (kind === "epoch") epoch++;
        const loss = random() < 0.1 ? Number.NaN : Math.round(random() * 8) / 8;
        const saved = await store.save({ kind, step, epoch, tensors: { model: { w: patterned(step, [4]) } }, metrics: { val_loss: loss } });
        history.push({ name: saved.name, path: saved.path, kind, step, epoch, created: saved.created, metric: loss });
        const expected = referenceKeep(history, policy, bestMetric, saved.name, saved.name);
        const present = (await store.list()).checkpoints.map((c) => c.name);
        assert.deepEqual(new Set(present), expected, `after step ${step} (${kind}, val_loss ${loss})`);
      }
    });

    it("diffs a checkpoint's config against another and prints the command that resumes it", async () => {
      const store = await open();
      const config = { lr: 0.001, model: { width: 64, layers: [1, 2, 3] }, seed: 1 };
      await store.save({ kind: "rolling", step: 9, tensors: smallGroups(1), state: { config, command: ["node", "train.js", "--dir", "runs/my run"] } });
      const diff = await store.diffConfig("auto", { lr: 0.002, model: { width: 64, layers: [1, 2] }, batch: 32 });
      assert.equal(diff.same, false);
      assert.deepEqual(diff.changed, [{ path: "lr", old: 0.001, new: 0.002 }]);
      assert.deepEqual(diff.removed, [
        { path: "model.layers[2]", value: 3 },
        { path: "seed", value: 1 },
      ]);
      assert.deepEqual(diff.added, [{ path: "batch", value: 32 }]);
      assert.equal((await store.diffConfig("step:9", config)).same, true);
      const resume = await store.resumeCommand("latest");
      assert.equal(resume.step, 9);
      assert.deepEqual(resume.argv, ["node", "train.js", "--dir", "runs/my run"]);
      assert.equal(resume.command, "node train.js --dir 'runs/my run'");
      assert.deepEqual(resume.config, config);
    });

    it("refuses writes on a read-only store and any call after close", async () => {
      await (await open()).save({ kind: "rolling", step: 1, tensors: {} });
      const reader = await CheckpointStore.open(dir, { readOnly: true });
      await assert.rejects(
        async () => (reader as unknown as { save: (r: object) => Promise<unknown> }).save({ kind: "rolling", step: 2, tensors: {} }),
        (e: unknown) => isNbresumeError(e, CheckpointErrorCode.READ_ONLY),
      );
      await reader.close();
      await assert.rejects(reader.list(), (e: unknown) => isNbresumeError(e, CheckpointErrorCode.CLOSED));
      await assert.rejects(CheckpointStore.open(path.join(dir, "nope"), { readOnly: true }), (e: unknown) =>
        isNbresumeError(e, CheckpointErrorCode.DIR_MISSING),
      );
    });
  });
});

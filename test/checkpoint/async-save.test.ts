/**
 * Background saves: saveInBackground() snapshots and returns, the commit goes on in a worker
 * thread ("worker", the default) or on this thread's event loop ("inline", what a custom fs gets).
 * Faults are injected through the store's fs (inline) or produced for real in the worker (a
 * free-space check that cannot pass, a writer lock taken away). The SIGKILL test is in
 * async-save-crash.test.ts.
 */
import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { readFile, readdir, rm } from "node:fs/promises";
import * as path from "node:path";
import { type BackgroundSave, CheckpointErrorCode, CheckpointStore, type CheckpointStoreOptions, type SavedCheckpoint } from "../../src/checkpoint/index.js";
import { type DurableFs, nodeFs } from "../../src/checkpoint/durable-fs.js";
import { badArgument, checkpointMessages as messages } from "../../src/checkpoint/messages.js";
import { checkpointDirName, parseCheckpointDirName } from "../../src/checkpoint/naming.js";
import { NbresumeError, isNbresumeError } from "../../src/errors.js";
import type { Tensor, TensorGroup } from "../../src/tensor.js";
import { errnoError, faultFs } from "./fault-fs.js";
import { patterned } from "./patterned-tensors.js";
import { makeTempDir, removeDir } from "./temp-dirs.js";

const WRITERS = ["worker", "inline"] as const;

function bytes(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Tensors of every dtype, a view at an odd offset into a larger buffer, and 8 MiB of float32. */
function mixedGroups(seed: number): Record<string, TensorGroup> {
  const backing = new Uint8Array(1000).map((_, i) => (i * 7 + seed) & 255);
  return {
    model: {
      big: patterned(seed, [2048, 1024]),
      f64: { dtype: "float64", shape: [3], data: new Float64Array([seed, -0, Number.NaN]) },
      f16: { dtype: "float16", shape: [2], data: new Uint16Array([0x3c00 + seed, 0x7e00]) },
      i64: { dtype: "int64", shape: [2], data: new BigInt64Array([BigInt(seed), -(2n ** 63n)]) },
      flags: { dtype: "bool", shape: [3], data: new Uint8Array([1, 0, seed & 1]) },
      "odd view": { dtype: "uint8", shape: [5, 3], data: backing.subarray(3, 18) },
      scalar: { dtype: "int32", shape: [], data: new Int32Array([seed]) },
    },
    optimizer: { m: patterned(seed * 2, [512, 256]), empty: { dtype: "float32", shape: [0], data: new Float32Array(0) } },
  };
}

function copyGroups(groups: Record<string, TensorGroup>): Record<string, Record<string, Uint8Array>> {
  const out: Record<string, Record<string, Uint8Array>> = {};
  for (const [g, tensors] of Object.entries(groups)) {
    const copies: Record<string, Uint8Array> = {};
    for (const [name, t] of Object.entries(tensors)) copies[name] = bytes(t).slice();
    out[g] = copies;
  }
  return out;
}

/** What a training step does to its tensors: every byte changes. */
function overwrite(groups: Record<string, TensorGroup>): void {
  for (const tensors of Object.values(groups)) for (const t of Object.values(tensors)) bytes(t).fill(0xa5);
}

function assertBytes(loaded: Record<string, TensorGroup>, expected: Record<string, Record<string, Uint8Array>>): void {
  assert.deepEqual(Object.keys(loaded).sort(), Object.keys(expected).sort());
  for (const [g, tensors] of Object.entries(expected)) {
    for (const [name, want] of Object.entries(tensors)) {
      const got = loaded[g]?.[name];
      assert.ok(got, `${g}.${name} loaded`);
      assert.ok(Buffer.from(bytes(got)).equals(Buffer.from(want)), `${g}.${name}: the bytes of the snapshot`);
    }
  }
}

const small = (seed: number): Record<string, TensorGroup> => ({ model: { w: patterned(seed, [64, 32]) } });

/** node:fs whose commit rename (temp dir → checkpoint name) waits while the gate is armed. */
function gatedFs(): { fs: DurableFs; arm(): { reached: Promise<void>; release(): void } } {
  let armed: { reach: () => void; wait: Promise<void> } | undefined;
  const fs: DurableFs = {
    ...nodeFs,
    rename: async (from, to) => {
      const commit = path.basename(from).startsWith(".tmp-ckpt-") && parseCheckpointDirName(path.basename(to)) !== undefined;
      if (commit && armed) {
        const gate = armed;
        armed = undefined;
        gate.reach();
        await gate.wait;
      }
      return nodeFs.rename(from, to);
    },
  };
  return {
    fs,
    arm() {
      let reach!: () => void;
      let release!: () => void;
      const reached = new Promise<void>((r) => (reach = r));
      const wait = new Promise<void>((r) => (release = r));
      armed = { reach, wait };
      return { reached, release };
    },
  };
}

/** A fault rule whose failing steps the test chooses: the commit rename of those steps fails with EIO. */
function failingCommits(): { fs: DurableFs; failSteps: Set<number> } {
  const failSteps = new Set<number>();
  const fs = faultFs((op, target) => {
    if (op !== "rename") return undefined;
    const m = /^\.tmp-ckpt-step-(\d+)-/.exec(path.basename(target));
    return m && failSteps.has(Number(m[1])) ? errnoError("EIO", op, target) : undefined;
  });
  return { fs, failSteps };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection");
}

describe("background saves", () => {
  let dir: string;
  const opened: CheckpointStore[] = [];
  async function open(options: CheckpointStoreOptions = {}): Promise<CheckpointStore> {
    const store = await CheckpointStore.open(dir, options);
    opened.push(store);
    return store;
  }
  beforeEach(async () => {
    dir = await makeTempDir("async");
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close().catch(() => undefined);
    await removeDir(dir);
  });

  for (const writer of WRITERS) {
    describe(`with the ${writer} writer`, () => {
      it("writes the snapshot taken when saveInBackground() returned, bit for bit, though every tensor was overwritten right after", async () => {
        const store = await open({ backgroundWriter: writer });
        const groups = mixedGroups(3);
        const expected = copyGroups(groups);
        const bg = await store.saveInBackground({
          kind: "rolling",
          step: 5,
          epoch: 1,
          tensors: groups,
          state: { cursor: 5 },
          metrics: { loss: 0.5 },
          metadata: { model: { arch: "test" } },
        });
        overwrite(groups); // the next training step, while the commit runs
        assert.equal(bg.name, "ckpt-step-00000005-rolling");
        assert.ok(bg.bytes >= 8 * 1024 * 1024 + 512 * 1024);
        const saved = await bg.committed;
        assert.equal(saved.name, bg.name);
        const loaded = await store.load("latest");
        assertBytes(loaded.tensors, expected);
        assert.equal(loaded.state.cursor, 5);
        assert.deepEqual(loaded.metadata.model, { arch: "test" });
        assert.equal((await store.verify(saved)).ok, true);
        assert.equal(store.backgroundStatus.writer, writer);
        assert.equal(store.backgroundStatus.lastCommitted?.name, bg.name);
        assert.equal(store.backgroundStatus.inFlight, undefined);
      });

      it("keeps at most one save in flight: each call waits for the commit before it, and commits land in call order", async () => {
        const store = await open({ backgroundWriter: writer });
        const order: number[] = [];
        const onDiskAtReturn: boolean[] = [];
        const calls = [1, 2, 3].map((step) =>
          store.saveInBackground({ kind: "rolling", step, tensors: mixedGroups(step) }).then((bg) => {
            // When a call returns, the save before it is committed (on disk under its final name).
            onDiskAtReturn.push(step === 1 || existsSync(path.join(dir, checkpointDirName(step - 1, "rolling"))));
            assert.equal(store.backgroundStatus.inFlight?.step, step, "the status shows the save in flight");
            void bg.committed.then(() => order.push(step));
            return bg;
          }),
        );
        const saves = await Promise.all(calls);
        await store.flush();
        assert.deepEqual(order, [1, 2, 3]);
        assert.deepEqual(onDiskAtReturn, [true, true, true]);
        assert.ok(saves[1]!.waitedMs > 0 && saves[2]!.waitedMs > 0, "the later calls waited");
        const created = (await Promise.all(saves.map((s) => s.committed))).map((s) => Date.parse(s.created ?? ""));
        assert.ok(created[0]! <= created[1]! && created[1]! <= created[2]!);
        assert.equal((await readFile(path.join(dir, "latest"), "utf8")).trim(), checkpointDirName(3, "rolling"));
      });

      it("keeps save()'s contract: a synchronous save after a background one waits for it, then commits", async () => {
        const store = await open({ backgroundWriter: writer });
        const bg = await store.saveInBackground({ kind: "rolling", step: 1, tensors: mixedGroups(1) });
        let committedFirst = false;
        void bg.committed.then(() => (committedFirst = true));
        const saved = await store.save({ kind: "emergency", step: 2, tensors: small(2) });
        assert.equal(committedFirst, true, "the background save committed before the synchronous one");
        assert.equal(saved.verified, true);
        assert.deepEqual(
          (await store.list()).checkpoints.map((c) => c.name),
          [checkpointDirName(1, "rolling"), checkpointDirName(2, "emergency")],
        );
      });

      it("close() waits for the save in flight, which is then committed and verifies", async () => {
        const store = await open({ backgroundWriter: writer });
        const groups = mixedGroups(4);
        const expected = copyGroups(groups);
        await store.saveInBackground({ kind: "final", step: 9, tensors: groups });
        overwrite(groups);
        await store.close();
        const reader = await CheckpointStore.open(dir, { readOnly: true });
        const loaded = await reader.load("auto");
        assert.equal(loaded.name, checkpointDirName(9, "final"));
        assertBytes(loaded.tensors, expected);
        await reader.close();
      });
    });
  }

  describe("latest and the commit", () => {
    it("leaves latest on the previous checkpoint until the background commit is durable (inline, the commit held at its rename)", async () => {
      const gated = gatedFs();
      const store = await open({ fs: gated.fs });
      await (
        await store.saveInBackground({ kind: "rolling", step: 1, tensors: small(1) })
      ).committed;
      const gate = gated.arm();
      const bg = await store.saveInBackground({ kind: "rolling", step: 2, tensors: small(2) });
      let settled = false;
      void bg.committed.then(() => (settled = true));
      await gate.reached; // every file written and fsync'd, the rename not yet done
      assert.equal((await readFile(path.join(dir, "latest"), "utf8")).trim(), checkpointDirName(1, "rolling"));
      assert.equal(existsSync(path.join(dir, checkpointDirName(2, "rolling"))), false);
      assert.deepEqual(
        (await store.list()).checkpoints.map((c) => c.step),
        [1],
        "the uncommitted save is not listed",
      );
      assert.equal((await store.resolve("auto"))?.step, 1);
      assert.equal(settled, false);
      assert.equal(store.backgroundStatus.inFlight?.step, 2);
      gate.release();
      await bg.committed;
      assert.equal((await readFile(path.join(dir, "latest"), "utf8")).trim(), checkpointDirName(2, "rolling"));
    });

    it("never shows latest naming a checkpoint that is not complete and verified while the worker commits (polled)", async () => {
      const store = await open();
      const reader = await CheckpointStore.open(dir, { readOnly: true });
      opened.push(reader as CheckpointStore);
      await (
        await store.saveInBackground({ kind: "rolling", step: 1, tensors: mixedGroups(1) })
      ).committed;
      let polls = 0;
      for (let step = 2; step <= 4; step++) {
        const bg = await store.saveInBackground({ kind: "rolling", step, tensors: mixedGroups(step) });
        let done = false;
        void bg.committed.then(() => (done = true));
        while (!done) {
          const latest = (await readFile(path.join(dir, "latest"), "utf8")).trim();
          const check = await reader.verify(path.join(dir, latest));
          assert.equal(check.ok, true, `latest names ${latest}, which verifies`);
          polls++;
        }
        assert.equal((await readFile(path.join(dir, "latest"), "utf8")).trim(), bg.name, "latest names the save once committed resolves");
      }
      assert.ok(polls > 0);
    });
  });

  describe("failures", () => {
    it("reports a failed background save on the next saveInBackground(), which saves nothing; the one after saves", async () => {
      const { fs, failSteps } = failingCommits();
      const store = await open({ fs });
      await (
        await store.saveInBackground({ kind: "rolling", step: 1, tensors: small(1) })
      ).committed;
      failSteps.add(2);
      const bg = await store.saveInBackground({ kind: "rolling", step: 2, tensors: small(2) });
      const original = await rejection(bg.committed);
      assert.ok(isNbresumeError(original, CheckpointErrorCode.WRITE_FAILED), String(original));
      const pending = store.pendingError;
      assert.ok(pending instanceof NbresumeError);
      assert.equal(pending.code, CheckpointErrorCode.BACKGROUND_SAVE_FAILED);
      assert.equal(pending.cause, original);
      assert.equal(pending.message, messages.backgroundSaveFailed("the rolling checkpoint of step 2", (original as Error).message, 1, 3));
      assert.equal(store.backgroundStatus.consecutiveFailures, 1);

      const next = await rejection(store.saveInBackground({ kind: "rolling", step: 3, tensors: small(3) }));
      assert.equal(next, pending, "the next call rejects with the failure");
      assert.equal(store.pendingError, undefined, "reported once");
      assert.deepEqual(
        (await store.list()).checkpoints.map((c) => c.step),
        [1],
        "neither step 2 nor 3 was saved; step 1 intact",
      );
      assert.deepEqual(
        (await readdir(dir)).filter((n) => n.startsWith(".tmp-")),
        [],
        "the failed save left nothing behind",
      );

      const again = await store.saveInBackground({ kind: "rolling", step: 3, tensors: small(3) });
      await again.committed;
      assert.equal(store.backgroundStatus.consecutiveFailures, 0);
      assert.deepEqual(
        (await store.list()).checkpoints.map((c) => c.step),
        [1, 3],
      );
    });

    it("reports a failed background save on flush(), and on a synchronous save(), once each", async () => {
      const { fs, failSteps } = failingCommits();
      const store = await open({ fs });
      failSteps.add(1).add(2);
      await store.saveInBackground({ kind: "rolling", step: 1, tensors: small(1) });
      const flushed = await rejection(store.flush());
      assert.ok(isNbresumeError(flushed, CheckpointErrorCode.BACKGROUND_SAVE_FAILED));
      assert.ok(isNbresumeError((flushed as Error).cause, CheckpointErrorCode.WRITE_FAILED));
      await store.flush(); // reported: nothing left

      await store.saveInBackground({ kind: "rolling", step: 2, tensors: small(2) });
      const saved = await rejection(store.save({ kind: "rolling", step: 3, tensors: small(3) }));
      assert.ok(isNbresumeError(saved, CheckpointErrorCode.BACKGROUND_SAVE_FAILED));
      assert.equal(((saved as Error).cause as NbresumeError).where, path.join(dir, checkpointDirName(2, "rolling")), "the failure of step 2's commit");
      // The emergency path: flush (nothing left to report), then a synchronous save.
      await store.flush();
      const emergency = await store.save({ kind: "emergency", step: 3, tensors: small(3) });
      assert.equal(emergency.verified, true);
      assert.deepEqual(
        (await store.list()).checkpoints.map((c) => c.step),
        [3],
      );
    });

    it("rejects close() with an unreported failure, after releasing the lock", async () => {
      const { fs, failSteps } = failingCommits();
      const store = await open({ fs });
      failSteps.add(1);
      await store.saveInBackground({ kind: "rolling", step: 1, tensors: small(1) });
      const closed = await rejection(store.close());
      assert.ok(isNbresumeError(closed, CheckpointErrorCode.BACKGROUND_SAVE_FAILED));
      await store.close(); // idempotent
      const again = await open();
      assert.equal(again.readOnly, false, "the lock was released");
    });

    it("reports CHECKPOINT_SAVES_FAILING once maxFailedSaves saves in a row failed, and counts from zero after a commit", async () => {
      const { fs, failSteps } = failingCommits();
      const store = await open({ fs, maxFailedSaves: 3 });
      const codes: string[] = [];
      for (const step of [1, 2, 3]) {
        failSteps.add(step);
        await store.saveInBackground({ kind: "rolling", step, tensors: small(step) });
        const e = await rejection(store.flush());
        codes.push((e as NbresumeError).code);
        if (step === 3) {
          assert.equal((e as Error).message, messages.savesFailing(dir, 3, "the rolling checkpoint of step 3", ((e as Error).cause as Error).message));
        }
      }
      assert.deepEqual(codes, [CheckpointErrorCode.BACKGROUND_SAVE_FAILED, CheckpointErrorCode.BACKGROUND_SAVE_FAILED, CheckpointErrorCode.SAVES_FAILING]);
      assert.equal(store.backgroundStatus.consecutiveFailures, 3);
      await (
        await store.saveInBackground({ kind: "rolling", step: 4, tensors: small(4) })
      ).committed;
      assert.equal(store.backgroundStatus.consecutiveFailures, 0);
      failSteps.add(5);
      await store.saveInBackground({ kind: "rolling", step: 5, tensors: small(5) });
      assert.equal(((await rejection(store.flush())) as NbresumeError).code, CheckpointErrorCode.BACKGROUND_SAVE_FAILED);
    });

    it("reports a real failure inside the worker thread (the free-space check) with its code and message", async () => {
      const store = await open({ diskMargin: Number.MAX_SAFE_INTEGER });
      assert.equal(store.backgroundStatus.writer, "worker");
      const bg = await store.saveInBackground({ kind: "rolling", step: 1, tensors: small(1) });
      const original = await rejection(bg.committed);
      assert.ok(isNbresumeError(original, CheckpointErrorCode.DISK_FULL), String(original));
      assert.match((original as Error).message, /Not enough free space to save a checkpoint/);
      const flushed = await rejection(store.flush());
      assert.ok(isNbresumeError(flushed, CheckpointErrorCode.BACKGROUND_SAVE_FAILED));
      assert.equal((flushed as Error).cause, original);
      assert.deepEqual((await store.list()).checkpoints, []);
    });

    it("does not commit when the writer lock was taken away meanwhile (checked in the worker thread), and fails every later save at once with CHECKPOINT_LOCK_LOST", async () => {
      const store = await open();
      await (
        await store.saveInBackground({ kind: "rolling", step: 1, tensors: small(1) })
      ).committed;
      for (const name of await readdir(path.join(dir, ".lock"))) await rm(path.join(dir, ".lock", name));
      const bg = await store.saveInBackground({ kind: "rolling", step: 2, tensors: small(2) });
      const original = await rejection(bg.committed);
      assert.ok(isNbresumeError(original, CheckpointErrorCode.LOCK_LOST), String(original));
      // Reported as the lost lease itself (not a save to try again), saying to stop.
      const reported = await rejection(store.flush());
      assert.ok(isNbresumeError(reported, CheckpointErrorCode.LOCK_LOST), String(reported));
      assert.equal((reported as Error).message, messages.leaseLostStop((original as Error).message));
      // Permanent: the next saves fail at once, in the background or not.
      const next = await rejection(store.saveInBackground({ kind: "rolling", step: 3, tensors: small(3) }));
      assert.equal(next, reported);
      assert.equal(await rejection(store.save({ kind: "emergency", step: 3, tensors: small(3) })), reported);
      assert.deepEqual(
        (await readdir(dir)).filter((n) => n.startsWith("ckpt-") || n.startsWith(".tmp-")),
        [checkpointDirName(1, "rolling")],
      );
    });
  });

  describe("arguments", () => {
    it("throws argument errors at once, before waiting for a save or copying anything", async () => {
      const store = await open();
      const bad = { model: { w: { dtype: "float32", shape: [3], data: new Float32Array(2) } } } as Record<string, TensorGroup>;
      assert.throws(() => store.saveInBackground({ kind: "rolling", step: 1, tensors: bad }), RangeError);
      assert.throws(() => store.saveInBackground({ kind: "nightly" as "rolling", step: 1, tensors: small(1) }), TypeError);
      assert.throws(
        () => store.saveInBackground({ kind: "rolling", step: 1, tensors: small(1), metadata: { model: { n: 1 as unknown as string } } }),
        TypeError,
      );
      assert.equal(store.backgroundStatus.inFlight, undefined);
      const reader = await CheckpointStore.open(dir, { readOnly: true });
      assert.throws(
        () => (reader as CheckpointStore).saveInBackground({ kind: "rolling", step: 1, tensors: small(1) }),
        (e: unknown) => isNbresumeError(e, CheckpointErrorCode.READ_ONLY),
      );
      await reader.close();
    });

    it("refuses a worker writer with a custom fs, an unknown writer and a bad maxFailedSaves", async () => {
      const fs = faultFs(() => undefined);
      await assert.rejects(CheckpointStore.open(dir, { fs, backgroundWriter: "worker" }), { name: "TypeError", message: badArgument.workerWithFs() });
      await assert.rejects(CheckpointStore.open(dir, { backgroundWriter: "thread" as "worker" }), {
        name: "TypeError",
        message: badArgument.backgroundWriter("thread"),
      });
      await assert.rejects(CheckpointStore.open(dir, { maxFailedSaves: 0 }), { name: "RangeError", message: badArgument.maxFailedSaves(0) });
      const store = await open({ fs });
      assert.equal(store.backgroundStatus.writer, "inline", "a custom fs gets the inline writer");
    });

    it("refuses saveInBackground() once close() has begun, and close() still commits the save queued before it", async () => {
      const store = await open();
      const bg: BackgroundSave = await store.saveInBackground({ kind: "rolling", step: 1, tensors: mixedGroups(1) });
      const closing = store.close();
      assert.throws(
        () => store.saveInBackground({ kind: "rolling", step: 2, tensors: small(2) }),
        (e: unknown) => isNbresumeError(e, CheckpointErrorCode.CLOSED),
      );
      await closing;
      const saved: SavedCheckpoint = await bg.committed;
      assert.equal(saved.step, 1);
    });
  });
});

import { strict as assert } from "node:assert";
import { readFile, readdir } from "node:fs/promises";
import * as path from "node:path";
import { readdirSync, statSync } from "node:fs";
import { CheckpointErrorCode, CheckpointStore } from "../../src/checkpoint/index.js";
import { type DurableFs, nodeFs } from "../../src/checkpoint/durable-fs.js";
import { checkpointMessages as messages } from "../../src/checkpoint/messages.js";
import { isNbresumeError } from "../../src/errors.js";
import type { TensorGroup } from "../../src/tensor.js";
import { type FsOp, errnoError, faultFs } from "./fault-fs.js";
import { patterned } from "./patterned-tensors.js";
import { makeTempDir, removeDir } from "./temp-dirs.js";
import { canMount, mountTmpfs, unmount } from "./tmpfs.js";

const TMPFS_BYTES = 8 * 1024 * 1024;

function mount(dir: string): void {
  mountTmpfs(dir, TMPFS_BYTES);
}

/** About 1.5 MB per checkpoint: five fit in 8 MiB, the sixth does not. */
function groups(seed: number): Record<string, TensorGroup> {
  return { model: { w: patterned(seed, [256, 1024]) }, optimizer: { m: patterned(seed, [128, 1024]) } };
}

/** statfs that reports plenty of room, so a save gets past the check and meets the real full disk. */
function lyingStatfs(base: DurableFs): DurableFs {
  return { ...base, statfs: async () => ({ bavail: 1 << 30, bsize: 4096 }) };
}

/** Bytes `dir` would take on a tmpfs (whole pages), for machines where we cannot mount one. */
function usedBytes(dir: string): number {
  let used = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    used += entry.isDirectory() ? usedBytes(full) : Math.ceil(statSync(full).size / 4096) * 4096;
  }
  return used;
}

const where = canMount
  ? "on a real 8 MiB tmpfs"
  : `with ENOSPC injected through the fs because ${process.env.NBRESUME_TEST_NO_MOUNT === "1" ? "NBRESUME_TEST_NO_MOUNT=1" : "mount is not permitted here"}`;

describe(`checkpoint store on a full disk (${where})`, () => {
  let dir: string;
  let mounted = false;
  beforeEach(async () => {
    dir = await makeTempDir("full");
    if (canMount) {
      mount(dir);
      mounted = true;
    }
  });
  afterEach(async () => {
    if (mounted) unmount(dir);
    mounted = false;
    await removeDir(dir);
  });

  /** The fs the store sees: the real one on tmpfs; without mount, statfs and ENOSPC are simulated. */
  function diskFs(options: { lie: boolean }): DurableFs {
    if (canMount) return options.lie ? lyingStatfs(nodeFs) : nodeFs;
    const simulated: DurableFs = { ...nodeFs, statfs: async () => ({ bavail: Math.floor((TMPFS_BYTES - usedBytes(dir)) / 4096), bsize: 4096 }) };
    return faultFs(
      (op, target, bytes) => (op === "write" && usedBytes(dir) + (bytes ?? 0) > TMPFS_BYTES ? errnoError("ENOSPC", "write", target) : undefined),
      options.lie ? lyingStatfs(simulated) : simulated,
    );
  }

  it(`refuses a save that would not fit, saying needed vs available, and keeps every earlier checkpoint (${where})`, async () => {
    const store = await CheckpointStore.open(dir, { keep: { rolling: 100 }, diskMargin: 64 * 1024, fs: diskFs({ lie: false }) });
    try {
      let step = 0;
      let refusal: unknown;
      while (refusal === undefined && step < 20) {
        step++;
        await store.save({ kind: "rolling", step, tensors: groups(step) }).catch((e: unknown) => {
          refusal = e;
        });
      }
      assert.ok(isNbresumeError(refusal, CheckpointErrorCode.DISK_FULL), `expected DISK_FULL, got ${String(refusal)}`);
      const m = /needs ([\d.]+) MiB \(([\d.]+) MiB for the checkpoint \+ ([\d.]+) MiB margin\), ([\d.]+) MiB available/.exec(refusal.message);
      assert.ok(m, refusal.message);
      assert.ok(Number(m[1]) > Number(m[4]), "needed exceeds available");
      assert.ok(refusal.message.includes("prune old checkpoints") && refusal.message.includes("keep fewer"));
      assert.ok(step > 2, "a few checkpoints fit first");

      const listing = await store.list({ verify: true });
      assert.equal(listing.checkpoints.length, step - 1, "every earlier checkpoint is still there");
      assert.ok(
        listing.checkpoints.every((c) => c.verified),
        "and verifies",
      );
      assert.equal((await store.resolve("auto"))?.step, step - 1);
      assert.deepEqual(
        (await readdir(dir)).filter((n) => n.startsWith(".tmp-")),
        [],
        "no temp dir left",
      );
    } finally {
      await store.close();
    }
  });

  it(`cleans up after a write that hits ENOSPC anyway and keeps every earlier checkpoint (${where})`, async () => {
    const store = await CheckpointStore.open(dir, { keep: { rolling: 100 }, diskMargin: 0, fs: diskFs({ lie: true }) });
    try {
      let step = 0;
      let failure: unknown;
      while (failure === undefined && step < 20) {
        step++;
        await store.save({ kind: "rolling", step, tensors: groups(step) }).catch((e: unknown) => {
          failure = e;
        });
      }
      assert.ok(isNbresumeError(failure, CheckpointErrorCode.DISK_FULL), `expected DISK_FULL, got ${String(failure)}`);
      const file = failure.where ?? "";
      assert.equal(failure.message, messages.diskFullDuringWrite(dir, `the rolling checkpoint of step ${step}`, path.relative(dir, file)));
      assert.equal((failure.cause as { code?: string }).code, "ENOSPC");
      assert.deepEqual(
        (await readdir(dir)).filter((n) => n.startsWith(".tmp-")),
        [],
        "the partial checkpoint was removed",
      );
      const listing = await store.list({ verify: true });
      assert.equal(listing.checkpoints.length, step - 1);
      assert.ok(listing.checkpoints.every((c) => c.verified));
      assert.equal((await readFile(path.join(dir, "latest"), "utf8")).trim(), `ckpt-step-${String(step - 1).padStart(8, "0")}-rolling`);
    } finally {
      await store.close();
    }
  });
});

describe("checkpoint store with a failing rename, write, fsync or close (injected faults)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir("fault");
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  const faults: { name: string; op: FsOp; target: RegExp }[] = [
    { name: "creating the temp directory", op: "mkdir", target: /\/\.tmp-ckpt-[^/]*$/ },
    { name: "writing model.safetensors", op: "write", target: /\/\.tmp-ckpt-[^/]*\/model\.safetensors$/ },
    { name: "fsync of optimizer.safetensors", op: "sync", target: /\/\.tmp-ckpt-[^/]*\/optimizer\.safetensors$/ },
    { name: "closing model.safetensors", op: "close", target: /\/\.tmp-ckpt-[^/]*\/model\.safetensors$/ },
    { name: "creating state.json", op: "open", target: /\/\.tmp-ckpt-[^/]*\/state\.json$/ },
    { name: "writing manifest.json", op: "write", target: /\/\.tmp-ckpt-[^/]*\/manifest\.json$/ },
    { name: "fsync of the temp directory", op: "sync", target: /\/\.tmp-ckpt-[^/]*$/ },
    { name: "the commit rename", op: "rename", target: /\/\.tmp-ckpt-[^/]*$/ },
  ];

  for (const fault of faults) {
    it(`leaves no partial checkpoint and every earlier one intact when ${fault.name} fails with EIO`, async () => {
      let armed = false;
      const injected = errnoError("EIO", fault.op, "(checkpoint)");
      const fs = faultFs((op, target) => (armed && op === fault.op && fault.target.test(target) ? injected : undefined));
      const store = await CheckpointStore.open(dir, { fs });
      try {
        await store.save({ kind: "rolling", step: 1, tensors: groups(1), state: { n: 1 } });
        armed = true;
        await assert.rejects(store.save({ kind: "rolling", step: 2, tensors: groups(2), state: { n: 2 } }), (e: unknown) => {
          assert.ok(isNbresumeError(e, CheckpointErrorCode.WRITE_FAILED), String(e));
          assert.equal(e.cause, injected);
          assert.ok(e.message.startsWith(`Saving the rolling checkpoint of step 2 in ${dir} failed at `), e.message);
          assert.ok(e.message.includes("EIO") && e.message.includes("every earlier checkpoint is intact"), e.message);
          return true;
        });
        armed = false;
        assert.deepEqual(
          (await readdir(dir)).filter((n) => n.startsWith(".tmp-") || n.startsWith("ckpt-")),
          ["ckpt-step-00000001-rolling"],
        );
        assert.equal((await readFile(path.join(dir, "latest"), "utf8")).trim(), "ckpt-step-00000001-rolling");
        const hit = await store.resolve("auto");
        assert.equal(hit?.step, 1);
        assert.equal((await store.load(hit ?? "auto")).state.n, 1);
        // The store still works: the same step saves fine once the fault is gone.
        assert.equal((await store.save({ kind: "rolling", step: 2, tensors: groups(2) })).step, 2);
      } finally {
        await store.close();
      }
    });
  }

  it("says the partial checkpoint stays hidden until the next open when removing it fails too", async () => {
    let armed = false;
    const fs = faultFs((op, target) => {
      if (!armed) return undefined;
      if (op === "rename" && /\.tmp-ckpt/.test(target)) return errnoError("EIO", op, target);
      if (op === "rm" && /\.tmp-ckpt/.test(target)) return errnoError("EBUSY", op, target);
      return undefined;
    });
    const store = await CheckpointStore.open(dir, { fs });
    armed = true;
    await assert.rejects(
      store.save({ kind: "rolling", step: 1, tensors: groups(1) }),
      (e: unknown) =>
        isNbresumeError(e, CheckpointErrorCode.WRITE_FAILED) &&
        e.message === messages.writeFailed(dir, "the rolling checkpoint of step 1", "ckpt-step-00000001-rolling", "EIO", false),
    );
    armed = false;
    assert.equal((await readdir(dir)).filter((n) => n.startsWith(".tmp-ckpt")).length, 1);
    assert.deepEqual((await store.list()).checkpoints, []);
    await store.close();
    const again = await CheckpointStore.open(dir);
    assert.equal((await readdir(dir)).filter((n) => n.startsWith(".tmp-")).length, 0, "the next writable open removed it");
    await again.close();
  });

  it("reports a commit whose directory fsync failed without deleting the complete checkpoint", async () => {
    let armed = false;
    const fs = faultFs((op, target) => (armed && op === "sync" && target === dir ? errnoError("EIO", op, target) : undefined));
    const store = await CheckpointStore.open(dir, { fs });
    try {
      armed = true;
      await assert.rejects(
        store.save({ kind: "rolling", step: 1, tensors: groups(1) }),
        (e: unknown) =>
          isNbresumeError(e, CheckpointErrorCode.WRITE_FAILED) && e.message === messages.commitNotDurable(path.join(dir, "ckpt-step-00000001-rolling"), "EIO"),
      );
      armed = false;
      const listing = await store.list({ verify: true });
      assert.deepEqual(
        listing.checkpoints.map((c) => [c.step, c.verified]),
        [[1, true]],
        "complete, not partial",
      );
    } finally {
      await store.close();
    }
  });
});

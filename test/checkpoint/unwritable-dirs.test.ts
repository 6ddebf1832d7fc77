/**
 * Run directories that cannot be written: a read-only mount, and a disk that fills up at the
 * edges (open, close). On a real tmpfs mounted in the test (root), else with the errors injected
 * through the fs. Nothing here may surface as a raw EROFS/ENOSPC, and a store that could not
 * record its lock's release must not keep the directory locked for the rest of the process.
 */
import { strict as assert } from "node:assert";
import { open, readdir, rm } from "node:fs/promises";
import * as path from "node:path";
import { CheckpointErrorCode, CheckpointStore } from "../../src/checkpoint/index.js";
import { type DurableFs, nodeFs } from "../../src/checkpoint/durable-fs.js";
import { readLockState } from "../../src/checkpoint/lock.js";
import { checkpointMessages as messages } from "../../src/checkpoint/messages.js";
import { isNbresumeError } from "../../src/errors.js";
import { errnoError, faultFs } from "./fault-fs.js";
import { smallGroups } from "./patterned-tensors.js";
import { makeTempDir, removeDir } from "./temp-dirs.js";
import { canMount, mountTmpfs, remountReadOnly, unmount } from "./tmpfs.js";

const TMPFS_BYTES = 8 * 1024 * 1024;
const where = canMount ? "on a real tmpfs" : "with the errors injected through the fs (mount is not permitted here)";

/** Writes into the run directory fail with EROFS, as on a read-only mount. */
function readOnlyFs(): DurableFs {
  return faultFs((op, target) => {
    const writes = op === "mkdir" || op === "rename" || op === "link" || op === "unlink" || op === "rm";
    const creates = op === "open" && /\/\.tmp-[^/]*$/.test(target);
    return writes || creates ? errnoError("EROFS", op, target) : undefined;
  });
}

async function twoCheckpoints(dir: string): Promise<void> {
  const store = await CheckpointStore.open(dir, { diskMargin: 0 });
  await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1), state: { config: { lr: 1 } } });
  await store.save({ kind: "rolling", step: 2, tensors: smallGroups(2), state: { config: { lr: 1 } } });
  await store.close();
}

describe(`a read-only run directory (${where})`, () => {
  let mountPoint: string;
  let dir: string;
  let fs: DurableFs;
  beforeEach(async () => {
    mountPoint = await makeTempDir("read-only");
    if (canMount) mountTmpfs(mountPoint, TMPFS_BYTES);
    dir = path.join(mountPoint, "run");
    await twoCheckpoints(dir);
    if (canMount) remountReadOnly(mountPoint);
    fs = canMount ? nodeFs : readOnlyFs();
  });
  afterEach(async () => {
    if (canMount) unmount(mountPoint);
    await removeDir(mountPoint);
  });

  it("refuses a writable open with CHECKPOINT_DIR_NOT_WRITABLE naming the path and the cause, and reads read-only", async () => {
    await assert.rejects(CheckpointStore.open(dir, { fs }), (e: unknown) => {
      assert.ok(isNbresumeError(e, CheckpointErrorCode.DIR_NOT_WRITABLE), String(e));
      assert.equal(e.message, messages.notWritable(dir, "taking the writer lock in", path.join(dir, ".lock"), "EROFS"));
      assert.ok(e.message.includes("failed with EROFS (a read-only filesystem)") && e.message.includes("{ readOnly: true }"), e.message);
      assert.equal((e.cause as { code?: string }).code, "EROFS");
      return true;
    });
    // What a resume for inspection does: everything that only reads.
    const reader = await CheckpointStore.open(dir, { readOnly: true, fs });
    try {
      const loaded = await reader.resolveAndLoad("auto");
      assert.equal(loaded?.step, 2);
      assert.equal((await reader.verify(loaded.path)).ok, true);
      assert.deepEqual((await reader.prune()).deleted, []);
    } finally {
      await reader.close();
    }
  });

  it("says why a new run directory cannot be created under a read-only parent (EROFS, not ENOENT)", async () => {
    const fresh = path.join(mountPoint, "new-run", "deeper");
    await assert.rejects(CheckpointStore.open(fresh, { fs }), (e: unknown) => {
      assert.ok(isNbresumeError(e, CheckpointErrorCode.DIR_NOT_WRITABLE), String(e));
      assert.match(e.message, /cannot be written: creating .* failed with EROFS/);
      return true;
    });
  });
});

describe(`a disk that fills up at open and close (${where})`, () => {
  let mountPoint: string;
  let dir: string;
  let filler: string;
  beforeEach(async () => {
    mountPoint = await makeTempDir("full-edges");
    if (canMount) mountTmpfs(mountPoint, TMPFS_BYTES);
    dir = path.join(mountPoint, "run");
    filler = path.join(mountPoint, "filler");
  });
  afterEach(async () => {
    if (canMount) unmount(mountPoint);
    await removeDir(mountPoint);
  });

  /** Fill the filesystem for real (tmpfs), or say that every write now fails (injected). */
  let full = false;
  async function fillDisk(): Promise<void> {
    full = true;
    if (!canMount) return;
    const handle = await open(filler, "w");
    const chunk = Buffer.alloc(256 * 1024, 1);
    try {
      for (let at = 0; ; at += chunk.length) await handle.write(chunk, 0, chunk.length, at);
    } catch (error) {
      assert.equal((error as { code?: string }).code, "ENOSPC");
    } finally {
      await handle.close();
    }
  }
  async function freeDisk(): Promise<void> {
    full = false;
    await rm(filler, { force: true });
  }
  const diskFs = (): DurableFs =>
    canMount
      ? nodeFs
      : faultFs((op, target) => (full && (op === "write" || (op === "link" && target.includes(".lock"))) ? errnoError("ENOSPC", op, target) : undefined));

  it("closes a writable store on a full disk without a raw ENOSPC, and the directory is free again in this process", async () => {
    await twoCheckpoints(dir);
    const fs = diskFs();
    const store = await CheckpointStore.open(dir, { fs, diskMargin: 0 });
    await fillDisk();
    await store.close(); // the release record needs a block it cannot have: the lock file is removed instead
    assert.equal(await readLockState(nodeFs, dir), undefined, "no lock file left");
    await fillDisk(); // removing the lock file freed a block: take it too
    await assert.rejects(CheckpointStore.open(dir, { fs }), (e: unknown) => {
      // Still full: a clear refusal, never CHECKPOINT_LOCKED by our own closed store.
      assert.ok(isNbresumeError(e, CheckpointErrorCode.DISK_FULL), String(e));
      assert.ok(e.message.startsWith(`Checkpoint directory ${dir} cannot be opened for writing: the disk is full (ENOSPC creating ${dir}/.lock`), e.message);
      return true;
    });
    await freeDisk();
    const again = await CheckpointStore.open(dir, { fs });
    assert.equal((await again.resolveAndLoad("auto"))?.step, 2);
    await again.close();
  });

  it("opens on a full disk with CHECKPOINT_DISK_FULL saying what to do, not a bare ENOSPC", async () => {
    await twoCheckpoints(dir);
    await fillDisk();
    await assert.rejects(CheckpointStore.open(dir, { fs: diskFs() }), (e: unknown) => {
      assert.ok(isNbresumeError(e, CheckpointErrorCode.DISK_FULL), String(e));
      assert.equal(e.message, messages.diskFullAtOpen(dir, path.join(dir, ".lock")));
      assert.ok(e.message.includes("Free space or prune"), e.message);
      return true;
    });
    assert.deepEqual(
      (await readdir(path.join(dir, ".lock"))).filter((n) => n.startsWith(".tmp-")),
      [],
      "no half-written lock file left",
    );
  });
});

describe("a lock release that cannot touch the disk at all (injected)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir("release");
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it("is recorded in memory, so a new open in the same process takes the lock over instead of failing CHECKPOINT_LOCKED", async () => {
    let broken = false;
    const fs = faultFs((op, target) =>
      broken && target.includes(`${path.sep}.lock${path.sep}`) && (op === "open" || op === "link" || op === "unlink")
        ? errnoError("EIO", op, target)
        : undefined,
    );
    const store = await CheckpointStore.open(dir, { fs });
    await store.save({ kind: "rolling", step: 1, tensors: smallGroups(1) });
    broken = true;
    await store.close(); // resolves: neither the record nor the removal was possible
    const left = await readLockState(nodeFs, dir);
    assert.equal(left?.holder.pid, process.pid, "our lock file is still there");
    assert.equal(left?.status, "stale", "but this process knows it released it");
    const again = await CheckpointStore.open(dir);
    assert.equal((await again.resolveAndLoad("auto"))?.step, 1);
    await again.close();
  });
});

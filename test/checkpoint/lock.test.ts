import { strict as assert } from "node:assert";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { CheckpointStore } from "../../src/checkpoint/index.js";
import { nodeFs } from "../../src/checkpoint/durable-fs.js";
import { readLockState } from "../../src/checkpoint/lock.js";
import { CheckpointErrorCode, checkpointMessages as messages } from "../../src/checkpoint/messages.js";
import { isNbresumeError } from "../../src/errors.js";
import { FixtureChild } from "./child.js";
import { makeTempDir, removeDir } from "./temp-dirs.js";

async function holderOf(dir: string) {
  const state = await readLockState(nodeFs, dir);
  assert.ok(state, "a lock file exists");
  return state;
}

/** Write a lock generation by hand, as a process that is gone (or elsewhere) would have left it. */
async function plantLock(dir: string, holder: Record<string, unknown>): Promise<void> {
  await mkdir(path.join(dir, ".lock"), { recursive: true });
  await writeFile(
    path.join(dir, ".lock", "7.json"),
    `${JSON.stringify({ started: "2020-01-01T00:00:00.000Z", argv: ["node", "train.js"], token: "planted", ...holder })}\n`,
  );
}

function procStart(pid: number): Promise<string> {
  return readFile(`/proc/${pid}/stat`, "utf8").then((s) => s.slice(s.lastIndexOf(")") + 2).split(" ")[19] as string);
}

describe("checkpoint store writer lock", function () {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir("lock");
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it("fails a second open in the same process with CHECKPOINT_LOCKED naming this process", async () => {
    const first = await CheckpointStore.open(dir);
    try {
      const { holder } = await holderOf(dir);
      await assert.rejects(CheckpointStore.open(dir), (e: unknown) => {
        assert.ok(isNbresumeError(e, CheckpointErrorCode.LOCKED));
        assert.equal(e.message, messages.locked(dir, holder, true));
        assert.match(e.message, new RegExp(`pid ${process.pid} on host ${os.hostname()}`));
        return true;
      });
    } finally {
      await first.close();
    }
    const again = await CheckpointStore.open(dir); // close() released it
    await again.close();
  });

  it("fails an open from another process while this one holds the lock, naming the holder", async () => {
    const store = await CheckpointStore.open(dir);
    try {
      const child = new FixtureChild("lock-child.ts", [dir]);
      const result = await child.next((e) => e.event === "error" || e.event === "ready");
      await child.finish();
      assert.equal(result.event, "error");
      assert.equal(result.code, CheckpointErrorCode.LOCKED);
      assert.equal(result.message, messages.locked(dir, (await holderOf(dir)).holder, false));
    } finally {
      await store.close();
    }
  });

  it("fails an open while another process holds the lock, naming its pid, host, start and command", async () => {
    const child = new FixtureChild("lock-child.ts", [dir]);
    try {
      await child.next((e) => e.event === "ready");
      const { holder, status } = await holderOf(dir);
      assert.equal(status, "held");
      assert.equal(holder.pid, child.pid);
      await assert.rejects(CheckpointStore.open(dir), (e: unknown) => {
        assert.ok(isNbresumeError(e, CheckpointErrorCode.LOCKED));
        assert.equal(e.message, messages.locked(dir, holder, false));
        assert.ok(e.message.includes(`pid ${child.pid}`) && e.message.includes("lock-child.ts") && e.message.includes(holder.started));
        return true;
      });
    } finally {
      await child.finish();
    }
    const store = await CheckpointStore.open(dir); // the child closed its store on exit
    await store.close();
  });

  it("takes over the lock of a killed process on this host", async () => {
    const child = new FixtureChild("lock-child.ts", [dir]);
    await child.next((e) => e.event === "ready");
    await child.kill();
    const before = await holderOf(dir);
    assert.equal(before.holder.pid, child.pid);
    assert.equal(before.status, "stale");
    const store = await CheckpointStore.open(dir);
    try {
      const after = await holderOf(dir);
      assert.equal(after.holder.pid, process.pid);
      assert.equal(after.status, "held");
      const files = await readdir(path.join(dir, ".lock"));
      assert.deepEqual(files.filter((f) => f.endsWith(".json")).length, 1, "the dead holder's generation was collected");
    } finally {
      await store.close();
    }
  });

  it("records a clean release when the holder exits without close()", async () => {
    const child = new FixtureChild("lock-child.ts", [dir, "--exit-without-close"]);
    await child.next((e) => e.event === "ready");
    assert.equal((await child.exited).code, 0);
    const { holder, status } = await holderOf(dir);
    assert.equal(holder.pid, child.pid);
    assert.equal(status, "released");
    const store = await CheckpointStore.open(dir);
    await store.close();
  });

  it("lets exactly one of several processes racing to take over a dead holder's lock win", async function () {
    this.timeout(60_000);
    const dead = new FixtureChild("lock-child.ts", [dir]);
    await dead.next((e) => e.event === "ready");
    await dead.kill();
    const racers = Array.from({ length: 5 }, () => new FixtureChild("lock-child.ts", [dir, "--wait-go"]));
    try {
      await Promise.all(racers.map((r) => r.next((e) => e.event === "loaded")));
      for (const r of racers) r.send("go");
      const results = await Promise.all(racers.map((r) => r.next((e) => e.event === "ready" || e.event === "error")));
      const winners = racers.filter((_, i) => results[i]?.event === "ready");
      assert.equal(winners.length, 1, `exactly one winner: ${JSON.stringify(results)}`);
      const winner = winners[0] as FixtureChild;
      const { holder } = await holderOf(dir);
      assert.equal(holder.pid, winner.pid);
      for (const r of results) {
        if (r.event === "ready") continue;
        assert.equal(r.code, CheckpointErrorCode.LOCKED);
        assert.ok(String(r.message).includes(`pid ${winner.pid}`), `the loser names the winner: ${String(r.message)}`);
      }
    } finally {
      await Promise.all(racers.map((r) => r.finish()));
    }
  });

  it("treats a lock whose pid now belongs to another process (start time differs) as stale", async () => {
    await plantLock(dir, { pid: 1, hostname: os.hostname(), procStart: "1" + (await procStart(1)) });
    const store = await CheckpointStore.open(dir);
    await store.close();
  });

  it("keeps a live process's lock even when it was taken long ago", async () => {
    await plantLock(dir, { pid: 1, hostname: os.hostname(), procStart: await procStart(1) });
    await assert.rejects(CheckpointStore.open(dir), (e: unknown) => isNbresumeError(e, CheckpointErrorCode.LOCKED) && e.message.includes("pid 1 on host"));
  });

  it("never takes over a lock held on another host, and says how to clear it", async () => {
    await plantLock(dir, { pid: 999_999, hostname: "some-other-host" });
    await assert.rejects(CheckpointStore.open(dir), (e: unknown) => {
      assert.ok(isNbresumeError(e, CheckpointErrorCode.LOCKED));
      assert.match(e.message, /pid 999999 on host some-other-host/);
      assert.ok(e.message.includes(`delete ${dir}/.lock`));
      return true;
    });
  });

  it("refuses an unreadable lock file with CHECKPOINT_LOCK_UNREADABLE instead of guessing", async () => {
    await mkdir(path.join(dir, ".lock"));
    await writeFile(path.join(dir, ".lock", "3.json"), "{ not json");
    await assert.rejects(CheckpointStore.open(dir), (e: unknown) => isNbresumeError(e, CheckpointErrorCode.LOCK_UNREADABLE) && e.message.includes("3.json"));
  });

  it("opens read-only without taking or needing the lock", async () => {
    const writer = await CheckpointStore.open(dir);
    try {
      const reader = await CheckpointStore.open(dir, { readOnly: true });
      assert.equal(reader.readOnly, true);
      assert.deepEqual((await reader.list()).checkpoints, []);
      await reader.close();
      assert.equal((await holderOf(dir)).holder.pid, process.pid);
    } finally {
      await writer.close();
    }
  });
});

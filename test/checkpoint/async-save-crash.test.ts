/**
 * Crash safety of background saves, for real: a child process saves with saveInBackground()
 * (committed by its worker thread) while it overwrites its tensors, and is SIGKILLed while a
 * background save is in flight, ASYNC_KILLS times (12 by default). After every kill, a reopen
 * (the rerun) must find: no temp directory left, every checkpoint verifying, the newest committed
 * one (or the in-flight one, only if its commit completed) answered by resolve("auto") and named
 * by `latest`, nothing committed lost; and the next child resumes from it with the right values.
 */
import { strict as assert } from "node:assert";
import { readFile, readdir } from "node:fs/promises";
import * as path from "node:path";
import { CheckpointStore } from "../../src/checkpoint/index.js";
import { checkpointDirName } from "../../src/checkpoint/naming.js";
import { FixtureChild } from "./child.js";
import { makeTempDir, removeDir } from "./temp-dirs.js";

const KILLS = Number(process.env.ASYNC_KILLS ?? 12);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe("background save crash safety (SIGKILL while a save is in flight)", function () {
  this.timeout(Math.max(180_000, KILLS * 15_000));
  let dir: string;
  before(async () => {
    dir = await makeTempDir("async-crash");
  });
  after(async () => {
    await removeDir(dir);
  });

  it(`leaves the previous checkpoint as the newest valid one and no temp directory after reopen, across ${KILLS} kills`, async () => {
    const committed = new Set<number>();
    let lastOnDisk: number | undefined;
    let saveMs = 200; // running estimate of one background commit, for the kill delays
    const stats = { kills: 0, inFlightLost: 0, inFlightCommitted: 0, tempLeftBehind: 0 };

    for (let k = 0; k < KILLS; k++) {
      const context = `kill ${k + 1}/${KILLS}`;
      const child = new FixtureChild("background-saver.ts", [dir]);
      try {
        await child.next((e) => e.event === "loaded");
        child.send("go");
        const opened = await child.next((e) => e.event === "opened");
        assert.deepEqual(opened.after, [], `${context}: open() removed every temp directory`);
        const ready = await child.next((e) => e.event === "ready");
        assert.equal(ready.resumed, lastOnDisk ?? null, `${context}: resumed from the newest committed checkpoint`);

        // Kill while the n-th save of this child is in flight, at a random point of its commit.
        const start = ready.resumed ?? 0;
        const target = start + 1 + (k % 3);
        await child.next((e) => e.event === "snapshot" && e.step === target);
        await sleep(Math.random() * saveMs * (k % 2 === 0 ? 0.3 : 1.2));
        await child.kill();
        assert.equal(
          child.events.find((e) => e.event === "failed"),
          undefined,
          `${context}: ${child.errorOutput}`,
        );
        stats.kills++;

        let last: { event: string; [k: string]: unknown } | undefined;
        for (const e of child.events) {
          if (e.event === "committed") {
            committed.add(e.step as number);
            const started = child.events.find((s) => s.event === "snapshot" && s.step === e.step);
            if (started) saveMs = 0.7 * saveMs + 0.3 * ((e.at as number) - (started.at as number));
          }
          if (e.event === "snapshot") last = e;
        }
        const inFlight = last?.step as number;
        const reportedNewest = Math.max(-1, ...committed);

        // What the rerun sees after reopening (the writable open removes temp leftovers).
        if ((await readdir(dir)).some((n) => n.startsWith(".tmp-"))) stats.tempLeftBehind++;
        const store = await CheckpointStore.open(dir, { keep: { rolling: 10_000 } });
        try {
          assert.deepEqual(
            (await readdir(dir)).filter((n) => n.startsWith(".tmp-")),
            [],
            `${context}: no temp directory after reopen`,
          );
          const listing = await store.list({ verify: true });
          for (const c of listing.checkpoints) assert.equal(c.verified, true, `${context}: ${c.name} verifies (${JSON.stringify(c.problems)})`);
          const present = new Set(listing.checkpoints.map((c) => c.step));
          for (const step of committed) assert.ok(present.has(step), `${context}: committed step ${step} was lost`);
          for (const step of present) assert.ok(committed.has(step) || step === inFlight, `${context}: step ${step} appeared without being saved`);

          const hit = await store.resolve("auto");
          const inFlightCommitted = present.has(inFlight) && !committed.has(inFlight);
          if (inFlightCommitted) {
            // The commit finished between the rename and the child's report: it must be whole.
            stats.inFlightCommitted++;
            assert.equal(hit?.step, inFlight, `${context}: auto answers the in-flight save that committed`);
          } else {
            if (!committed.has(inFlight)) stats.inFlightLost++;
            assert.equal(hit?.step ?? -1, reportedNewest, `${context}: the previous checkpoint is the newest valid one`);
          }
          assert.deepEqual(hit?.skipped ?? [], [], `${context}: nothing damaged to skip`);
          const latest = (await readFile(path.join(dir, "latest"), "utf8").catch(() => "")).trim();
          if (hit !== undefined) {
            // latest never names an uncommitted checkpoint; it may lag one commit when the kill
            // landed between the commit (rename + fsync) and the pointer's update.
            const allowed = [checkpointDirName(hit.step, "rolling")];
            if (inFlightCommitted && reportedNewest >= 0) allowed.push(checkpointDirName(reportedNewest, "rolling"));
            assert.ok(allowed.includes(latest), `${context}: latest names ${latest}, expected one of ${allowed.join(", ")}`);
          }
          lastOnDisk = hit?.step;
          if (lastOnDisk !== undefined) committed.add(lastOnDisk);
        } finally {
          await store.close();
        }
      } finally {
        await child.kill();
      }
    }
    console.log(`      background crash stats: ${JSON.stringify({ ...stats, saveMs: Math.round(saveMs) })}`);
    assert.equal(stats.kills, KILLS);
    assert.ok(stats.inFlightLost > 0, "some kills landed before the in-flight save committed");
    assert.ok(stats.tempLeftBehind > 0, "some kills left a half-written temp directory for the reopen to remove");
  });
});

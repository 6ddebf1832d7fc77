/**
 * Crash safety for real: a child process saves ~24 MiB checkpoints in a loop and is SIGKILLed at
 * random moments (SOAK_KILLS times, 200 by default; `npm run soak` does 1000). After every kill
 * the directory must hold exactly the committed checkpoints that retention keeps, each verifying,
 * with resolve("auto") answering the newest; the next child must take over the dead one's lock,
 * find no temp dir after open, and resume from that checkpoint with the right contents.
 */
import { strict as assert } from "node:assert";
import { readFile, readdir } from "node:fs/promises";
import * as path from "node:path";
import { CheckpointStore } from "../../src/checkpoint/index.js";
import { nodeFs } from "../../src/checkpoint/durable-fs.js";
import { readLockState } from "../../src/checkpoint/lock.js";
import { checkpointDirName } from "../../src/checkpoint/naming.js";
import { planRetention, resolveRetentionPolicy } from "../../src/checkpoint/retention.js";
import { type ChildEvent, FixtureChild } from "./child.js";
import { CRASH_STORE_OPTIONS, epochAt, kindAt, valLossAt } from "./fixtures/crash-plan.js";
import { makeTempDir, removeDir } from "./temp-dirs.js";

const KILLS = Number(process.env.SOAK_KILLS ?? 200);

/** A small seeded generator, so a failing run can be replayed with CRASH_SEED. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Stats {
  kills: number;
  duringOpen: number;
  midSave: number;
  inFlightCommitted: number;
  leftoversSeen: number;
  staleTakeovers: number;
  commits: number;
}

describe("checkpoint crash safety (SIGKILL at random moments)", function () {
  this.timeout(Math.max(300_000, KILLS * 2_000));
  let dir: string;
  before(async () => {
    dir = await makeTempDir("crash");
  });
  after(async () => {
    await removeDir(dir);
  });

  it(`keeps every committed checkpoint verifiable and resumable across ${KILLS} kills`, async () => {
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
    const random = rng(seed);
    const context = (k: number) => `kill ${k + 1}/${KILLS}, seed ${seed} (rerun with CRASH_SEED=${seed})`;
    const policy = resolveRetentionPolicy(CRASH_STORE_OPTIONS.keep);
    const committed = new Map<string, number>(); // name → step, every commit the children reported
    const prunedReported = new Set<string>();
    let lastCommitted: number | undefined;
    let lastCommittedOnDisk: number | undefined; // what auto answered after the previous kill
    let saveMs = 150; // running estimate of one save, for the kill delays
    const stats: Stats = { kills: 0, duringOpen: 0, midSave: 0, inFlightCommitted: 0, leftoversSeen: 0, staleTakeovers: 0, commits: 0 };
    const spawn = () => new FixtureChild("crash-saver.ts", [dir]);

    // Children start warm: a few are always loading while one runs (startup with tsx ≈ 0.4 s).
    const pool = [spawn(), spawn()];
    try {
      for (let k = 0; k < KILLS; k++) {
        const child = pool.shift() as FixtureChild;
        await child.next((e) => e.event === "loaded");
        pool.push(spawn());

        // What the dead predecessor left: the lock (if it got that far) must be stale.
        const before = await readLockState(nodeFs, dir);
        if (before && before.holder.pid !== process.pid && k > 0) {
          assert.notEqual(before.status, "held", `${context(k)}: the killed child's lock still looks held`);
          if (before.status === "stale") stats.staleTakeovers++;
        }
        if ((await readdir(dir)).some((n) => n.startsWith(".tmp-"))) stats.leftoversSeen++;

        child.send("go");
        // Where the kill lands: during open() (lock takeover, cleanup), during the resume, or in the save loop.
        const where = random();
        if (where < 0.1) {
          await sleep(random() * 40);
        } else {
          const opened = await child.next((e) => e.event === "opened");
          assert.deepEqual(opened.leftovers, [], `${context(k)}: open() removed every temp leftover`);
          assert.equal(opened.lockPid, child.pid, `${context(k)}: the new child holds the lock`);
          const ready = await child.next((e) => e.event === "ready");
          assert.equal(ready.resumed, lastCommittedOnDisk ?? null, `${context(k)}: resumed from the newest committed checkpoint`);
          assert.equal(ready.skipped, 0);
          if (where < 0.18) {
            await sleep(random() * 10);
          } else {
            await child.next((e) => e.event === "saving");
            await sleep(random() * saveMs * 3);
          }
        }
        await child.kill();
        const exit = await child.exited;
        const failed = child.events.find((e) => e.event === "failed");
        assert.equal(failed, undefined, `${context(k)}: the child failed on its own: ${JSON.stringify(failed)}\n${child.errorOutput}`);
        assert.equal(exit.signal, "SIGKILL", `${context(k)}: ${child.errorOutput}`);
        stats.kills++;
        if (!child.events.some((e) => e.event === "ready")) stats.duringOpen++;

        // What the child told us before it died.
        let inFlight: ChildEvent | undefined;
        for (const e of child.events) {
          if (e.event === "saving") inFlight = e;
          if (e.event === "committed") {
            const step = e.step as number;
            committed.set(checkpointDirName(step, e.kind as "rolling"), step);
            for (const p of e.pruned as string[]) prunedReported.add(p);
            lastCommitted = step;
            inFlight = undefined;
            stats.commits++;
            const started = child.events.find((s) => s.event === "saving" && s.step === step);
            if (started) saveMs = 0.8 * saveMs + 0.2 * ((e.at as number) - (started.at as number));
          }
        }
        if (inFlight) stats.midSave++;

        // The directory as any reader now sees it.
        const reader = await CheckpointStore.open(dir, { ...CRASH_STORE_OPTIONS, readOnly: true });
        try {
          const listing = await reader.list({ verify: true });
          for (const c of listing.checkpoints) {
            assert.equal(c.verified, true, `${context(k)}: ${c.name} fails verification: ${JSON.stringify(c.problems)}`);
          }
          const present = new Set(listing.checkpoints.map((c) => c.name));
          const inFlightName = inFlight ? checkpointDirName(inFlight.step as number, inFlight.kind as "rolling") : undefined;
          const inFlightCommitted = inFlightName !== undefined && present.has(inFlightName);
          if (inFlightCommitted) stats.inFlightCommitted++;
          for (const name of present) {
            assert.ok(committed.has(name) || name === inFlightName, `${context(k)}: ${name} appeared without being saved`);
          }

          // Nothing committed is missing, unless retention removed it (reported, or by the in-flight save's prune).
          const missing = [...committed.keys()].filter((n) => !present.has(n) && !prunedReported.has(n));
          if (missing.length > 0) {
            assert.ok(inFlightCommitted, `${context(k)}: committed checkpoints lost: ${missing.join(", ")}`);
            const candidates = [...present, ...missing].map((name) => {
              const step = committed.get(name) ?? (inFlight?.step as number);
              return { name, path: name, kind: kindAt(step), step, epoch: epochAt(step), created: undefined, metric: valLossAt(step) };
            });
            const plan = planRetention({
              checkpoints: candidates,
              policy,
              bestMetric: CRASH_STORE_OPTIONS.bestMetric,
              latest: inFlightName,
              newestVerified: inFlightName,
            });
            const allowed = new Set(plan.delete.map((d) => d.name));
            for (const name of missing) assert.ok(allowed.has(name), `${context(k)}: ${name} was lost, not pruned by policy`);
            for (const name of missing) prunedReported.add(name);
          }
          // The newest commit is never pruned (the in-flight one, if it got committed).
          const newestCommitted = inFlightCommitted ? inFlightName : [...committed].find(([, step]) => step === lastCommitted)?.[0];
          if (newestCommitted !== undefined)
            assert.ok(present.has(newestCommitted), `${context(k)}: the newest committed checkpoint ${newestCommitted} is missing`);

          const newest = Math.max(-1, ...listing.checkpoints.map((c) => c.step));
          const hit = await reader.resolve("auto");
          if (lastCommitted === undefined && !inFlightCommitted) {
            assert.equal(hit, undefined, `${context(k)}: nothing was committed yet`);
          } else {
            assert.equal(hit?.step, newest, `${context(k)}: auto answers the newest checkpoint`);
            assert.deepEqual(hit?.skipped, [], `${context(k)}: nothing to skip`);
            assert.ok(
              newest === lastCommitted || (inFlightCommitted && newest === inFlight?.step),
              `${context(k)}: newest ${newest} is the last commit ${lastCommitted} or the in-flight save`,
            );
          }
          lastCommittedOnDisk = hit?.step;
          if (inFlightCommitted) {
            lastCommitted = inFlight?.step as number;
            committed.set(inFlightName, lastCommitted);
          }
          const latest = await readFile(path.join(dir, "latest"), "utf8").catch(() => undefined);
          if (latest !== undefined) assert.ok(present.has(latest.trim()), `${context(k)}: latest names ${latest.trim()}, which is not a checkpoint`);
        } finally {
          await reader.close();
        }
      }
    } finally {
      await Promise.all(pool.map((c) => c.kill()));
    }
    console.log(`      crash stats: ${JSON.stringify({ seed, ...stats, saveMs: Math.round(saveMs) })}`);
    assert.equal(stats.kills, KILLS);
    assert.ok(stats.midSave > KILLS / 4, "a good share of the kills landed in the middle of a save");
    assert.ok(stats.commits > KILLS / 4, "and the children kept committing in between");
  });
});

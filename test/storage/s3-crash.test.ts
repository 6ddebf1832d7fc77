/**
 * Crash safety on object storage: a writer process SIGKILLed at random moments while it uploads
 * (≥ 100 kills per run, in three lanes on three prefixes). After every kill: nothing half-uploaded is
 * listed or resolved, every checkpoint listed verifies, and every checkpoint the writer reported
 * committed is still there (or was pruned by its policy, as it reported). The next writer takes
 * the dead one's lease over and removes its leftovers.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { CheckpointStore, isNbresumeError } from "../../src/index.js";
import { CheckpointErrorCode } from "../../src/checkpoint/messages.js";
import { ensureBuilt } from "../cli/compiled-cli.js";
import { awsEnv, startS3, type TestS3 } from "./s3-server.js";

const WRITER = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "s3-writer.mjs");
const KILLS = Number(process.env["S3_SOAK_KILLS"] ?? 100);

/** A tiny seeded generator (mulberry32): the kill times of a run can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("crash safety on object storage (a writer SIGKILLed during uploads)", function () {
  this.timeout(600_000);
  let s3: TestS3;

  before(async function () {
    this.timeout(300_000); // a tsc build when dist/ is older than src/
    await ensureBuilt();
    s3 = await startS3();
    await s3.createBucket("crash-bucket");
  });
  after(async () => s3.close());

  it(`never lists or resumes a half-uploaded checkpoint and keeps every committed one across ${KILLS} kills`, async () => {
    const seed = Number(process.env["S3_SOAK_SEED"] ?? Date.now() % 1_000_000);
    const next = random(seed);
    const env = { ...process.env, ...awsEnv(s3) };
    const stats = { seed, kills: 0, committed: 0, beforeReady: 0, leftoversSeen: 0 };

    let failed = false;
    async function lane(lane: number, kills: number): Promise<void> {
      const url = `s3://crash-bucket/lane-${lane}`;
      const committed = new Set<string>();
      const pruned = new Set<string>();
      for (let k = 0; k < kills && !failed; k++) {
        const child = spawn(process.execPath, [WRITER, url, String(lane * 100_000 + k)], { env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.setEncoding("utf8").on("data", (t: string) => (out += t));
        child.stderr.setEncoding("utf8").on("data", (t: string) => (err += t));
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        // Most kills land while it uploads; some while it opens (taking the lease, removing leftovers).
        const ready = (async () => {
          // (A killed child has a signalCode and no exitCode.)
          while (!out.includes("ready\n") && child.exitCode === null && child.signalCode === null) await sleep(5);
        })();
        if (next() < 0.15) {
          await sleep(50 + next() * 400);
          if (!out.includes("ready\n")) stats.beforeReady++;
        } else {
          await ready;
          // After 0, 1 or 2 commits (however slow the machine), then at a random moment of the next save.
          const commits = Math.floor(next() * 3);
          const deadline = Date.now() + 20_000;
          while ((out.match(/^committed /gm) ?? []).length < commits && child.exitCode === null && child.signalCode === null && Date.now() < deadline)
            await sleep(5);
          await sleep(next() * 500);
        }
        child.kill("SIGKILL");
        await exited;
        assert.ok(!/Error/.test(err), `the writer failed before it was killed:\n${err}`);
        stats.kills++;
        for (const line of out.split("\n")) {
          const [what, name] = line.split(" ");
          if (what === "committed" && name) committed.add(name);
          if (what === "pruned" && name) pruned.add(name);
        }
        let reader;
        try {
          reader = await CheckpointStore.open(url, { readOnly: true, s3: s3.options() });
        } catch (error) {
          // Killed before it wrote anything: the prefix holds nothing yet.
          if (isNbresumeError(error, CheckpointErrorCode.DIR_MISSING) && committed.size === 0) continue;
          throw error;
        }
        try {
          const listing = await reader.list({ verify: true });
          const listed = new Set(listing.checkpoints.map((c) => c.name));
          for (const c of listing.checkpoints) assert.equal(c.verified, true, `${c.name} is listed but does not verify: ${JSON.stringify(c.problems)}`);
          // A committed checkpoint stays until the policy (the newest 3 rolling) drops it: gone only with 3 newer ones listed.
          const step = (n: string): number => Number(/step-(\d+)/.exec(n)?.[1]);
          for (const name of committed) {
            if (listed.has(name) || pruned.has(name)) continue;
            const newer = [...listed].filter((n) => step(n) > step(name)).length;
            assert.ok(newer >= 3, `${name} was committed and is gone with only ${newer} newer checkpoint(s) listed (seed ${seed})`);
          }
          if ((await reader.du()).temp.count > 0) stats.leftoversSeen++;
          const resolved = await reader.resolve("auto");
          if (listing.checkpoints.length > 0) assert.equal(resolved?.name, listing.checkpoints.at(-1)?.name);
        } finally {
          await reader.close();
        }
      }
      stats.committed += committed.size;
    }

    const lanes = 3;
    // A lane that fails stops the others (no writer outlives the test), then the first failure is reported.
    const outcomes = await Promise.allSettled(
      Array.from({ length: lanes }, (_, i) =>
        lane(i + 1, Math.ceil((KILLS - i) / lanes)).catch((error: unknown) => {
          failed = true;
          throw error;
        }),
      ),
    );
    for (const o of outcomes) if (o.status === "rejected") throw o.reason;
    console.log(`      crash stats: ${JSON.stringify(stats)}`);
    assert.ok(stats.kills >= KILLS);
    assert.ok(stats.committed >= KILLS / 4, "the writers committed checkpoints between kills");
    assert.ok(stats.leftoversSeen > 0, "some kills landed mid-upload");
  });
});

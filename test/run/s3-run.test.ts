/**
 * A run whose dir is a bucket (`resumable({ dir: "s3://bucket/prefix" })`), configured as AWS
 * tools are (AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, …), against the test S3 server: it trains
 * and writes everything into the bucket; killed (SIGKILL) mid-training in a process of its own,
 * a rerun of the same cell resumes from the bucket and ends bitwise where an uninterrupted run
 * ends; starting over sets the old checkpoints aside in the bucket and says where; `nbresume log`
 * and readMetricsLog read the bucket's metrics.jsonl; a mirrored run's live view shows the uploads.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, promises as fsp } from "node:fs";
import * as path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import type { MirrorStatus } from "../../src/checkpoint/store.js";
import { runCli } from "../../src/cli/cli.js";
import { formatBytes } from "../../src/shared/format.js";
import { mirrorLine } from "../../src/run/live-view.js";
import { runMessages as msg } from "../../src/run/messages.js";
import { parseMetrics, readMetricsLog } from "../../src/run/metrics-log.js";
import type { RunStoreOptions } from "../../src/run/run.js";
import { makeTempDir, removeDir } from "../checkpoint/temp-dirs.js";
import { awsEnv, startS3, type TestS3, useAwsEnv } from "../storage/s3-server.js";
import { S3_RUN_OPTIONS } from "./s3-run-options.js";
import { mlpRun } from "./mlp-run.js";
import { RecordingOutput } from "./recording-output.js";
import { assertSameModel } from "./same-model.js";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "s3-run-child.ts");
const BUCKET = "run-bucket";
const name = (step: number, kind = "rolling"): string => `ckpt-step-${String(step).padStart(8, "0")}-${kind}`;

describe("a run whose dir is s3://bucket/prefix", function () {
  this.timeout(240_000);
  let s3: TestS3;
  let restoreEnv: () => void = () => undefined;
  const scratch: string[] = [];

  before(async () => {
    s3 = await startS3();
    await s3.createBucket(BUCKET);
    restoreEnv = useAwsEnv(s3);
  });
  after(async () => {
    restoreEnv();
    for (const d of scratch) await removeDir(d);
    await s3.close();
  });

  async function keys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/`, ContinuationToken: token }));
      for (const o of page.Contents ?? []) out.push((o.Key as string).slice(prefix.length + 1));
      token = page.NextContinuationToken;
    } while (token !== undefined);
    return out.sort();
  }

  async function object(key: string): Promise<Uint8Array> {
    const reader = await CheckpointStore.open(`s3://${BUCKET}/${path.posix.dirname(key)}`, { readOnly: true });
    try {
      return await reader.blobs.get(path.posix.basename(key), 64 * 1024 * 1024);
    } finally {
      await reader.close();
    }
  }

  async function uninterrupted(steps: number): Promise<{ dir: string; checkpoint: string }> {
    const local = await makeTempDir("s3-run-whole");
    scratch.push(local);
    const dir = path.join(local, "run");
    const result = await (await mlpRun(dir, { ...S3_RUN_OPTIONS, steps })).train();
    assert.equal(result.status, "finished");
    return { dir, checkpoint: result.checkpoint!.path };
  }

  it("trains to its steps with the checkpoints, latest, graphs, pictures, metrics.jsonl, loss.png and summary.json in the bucket", async () => {
    const url = `s3://${BUCKET}/runs/trained`;
    const result = await (await mlpRun(url, { ...S3_RUN_OPTIONS, steps: 30 })).train();
    assert.equal(result.status, "finished");
    assert.equal(result.step, 30);
    assert.equal(result.checkpoint?.path, `${url}/${name(30, "final")}`);
    const stored = await keys("runs/trained");
    for (const key of [`${name(30, "final")}/manifest.json`, "latest", "metrics.jsonl", "loss.png", "summary.json", "samples-step-00000030.png"]) {
      assert.ok(stored.includes(key), `${key} is not in the bucket: ${stored.join(", ")}`);
    }
    assert.ok(
      stored.some((k) => /^graphs\/[0-9a-f]{64}\.onnx$/.test(k)),
      stored.join(", "),
    );
    const metrics = parseMetrics(await object("runs/trained/metrics.jsonl"));
    assert.deepEqual(
      metrics.lines.map((l) => l["step"]),
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    assert.equal((JSON.parse(new TextDecoder().decode(await object("runs/trained/summary.json"))) as { status: unknown }).status, "finished");
    assert.deepEqual((await readMetricsLog(url)).lines.length, 30, "readMetricsLog reads the bucket's file");
    // Nothing was written under a local path made of the URL (path.resolve("s3://…") is ./s3:/…).
    assert.equal(existsSync(path.resolve("s3:")), false);
  });

  it("resumes from the bucket after the process training it is SIGKILLed, and ends bitwise where an uninterrupted run ends", async () => {
    const url = `s3://${BUCKET}/runs/killed`;
    const steps = 80;
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, url, String(steps)], { env: { ...process.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (t: string) => (stderr += t));
    const exited = once(child, "exit");
    // Killed once a checkpoint of step 20 is in the bucket, at least 1.5 s before step 80 (25 ms a step).
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) assert.fail(`the child ended before it was killed: ${stderr}`);
      if ((await keys("runs/killed")).includes(`${name(20)}/manifest.json`)) break;
      if (i > 2400) assert.fail(`no checkpoint of step 20 in the bucket after 120 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    const [, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, "SIGKILL");

    // The same cell again (a new kernel): its writer lease belonged to a dead process.
    const out = new RecordingOutput();
    const resumed = await (await mlpRun(url, { ...S3_RUN_OPTIONS, steps, output: out })).train();
    assert.equal(resumed.status, "finished");
    assert.ok(resumed.startStep >= 20 && resumed.startStep < steps, `resumed at ${resumed.startStep}`);
    assert.equal(resumed.resumedFrom?.path, `${url}/${resumed.resumedFrom?.name}`);
    const whole = await uninterrupted(steps);
    await assertSameModel(whole.checkpoint, resumed.checkpoint!.path);
    // The record in the bucket was cut back to the resumed step and continued: every step once, each loss as the uninterrupted run's.
    const inBucket = parseMetrics(await object("runs/killed/metrics.jsonl")).lines;
    const local = parseMetrics(await fsp.readFile(path.join(whole.dir, "metrics.jsonl"))).lines;
    assert.deepEqual(
      inBucket.map((l) => l["step"]),
      local.map((l) => l["step"]),
    );
    assert.deepEqual(
      inBucket.map((l) => l["loss"]),
      local.map((l) => l["loss"]),
    );
  });

  it('starts over with onExisting: "fresh", the old checkpoints set aside in the bucket, and says where', async () => {
    const url = `s3://${BUCKET}/runs/fresh`;
    await (await mlpRun(url, { ...S3_RUN_OPTIONS, steps: 20 })).train();
    const before = (await keys("runs/fresh")).filter((k) => k.endsWith("/manifest.json")).map((k) => k.split("/")[0]);
    assert.deepEqual(before, [name(10), name(20, "final")]);

    const out = new RecordingOutput();
    const fresh = await (await mlpRun(url, { ...S3_RUN_OPTIONS, steps: 10, onExisting: "fresh", output: out })).train();
    assert.equal(fresh.status, "finished");
    assert.equal(fresh.startStep, 0);
    assert.equal(fresh.resumedFrom, undefined);
    const stored = await keys("runs/fresh");
    const folder = stored.map((k) => /^(rolled-back-[^/]+)\//.exec(k)?.[1]).find((f) => f !== undefined);
    assert.ok(folder !== undefined, stored.join(", "));
    const said = out.texts("info").find((t) => t.includes("rolled-back-"));
    assert.equal(said, msg.setAsideAllInBucket(msg.freshChosen(), 2, await setAsideBytes(`${url}/${folder}`), `${url}/${folder}`));
    // The folder is a checkpoint root of its own: listed, verified, resumable.
    const aside = await CheckpointStore.open(`${url}/${folder}`, { readOnly: true });
    try {
      const { checkpoints } = await aside.list({ verify: true });
      assert.deepEqual(checkpoints.map((c) => [c.name, c.verified]).sort(), [
        [name(10), true],
        [name(20, "final"), true],
      ]);
    } finally {
      await aside.close();
    }
    // The new line alone is listed in the prefix; the old record is kept beside the new one.
    assert.ok(stored.includes(`${name(10, "final")}/manifest.json`) && !stored.includes(`${name(20, "final")}/manifest.json`), stored.join(", "));
    const kept = stored.find((k) => /^metrics-before-\d{8}T\d{6}Z\.jsonl$/.test(k));
    assert.ok(kept !== undefined, stored.join(", "));
    assert.equal(parseMetrics(await object(`runs/fresh/${kept}`)).lines.length, 20);
    assert.equal((await readMetricsLog(url)).lines.length, 10);
  });

  async function setAsideBytes(location: string): Promise<number> {
    const reader = await CheckpointStore.open(location, { readOnly: true });
    try {
      return (await reader.list()).checkpoints.reduce((s, c) => s + c.bytes, 0);
    } finally {
      await reader.close();
    }
  }

  it("goes back to an older checkpoint in the bucket (resumeFrom step:N): the newer ones set aside, latest names it", async () => {
    const url = `s3://${BUCKET}/runs/back`;
    await (await mlpRun(url, { ...S3_RUN_OPTIONS, steps: 30 })).train();
    const out = new RecordingOutput();
    const back = await (await mlpRun(url, { ...S3_RUN_OPTIONS, steps: 30, resumeFrom: "step:10", output: out })).train();
    assert.equal(back.resumedFrom?.name, name(10));
    assert.equal(back.startStep, 10);
    assert.equal(back.status, "finished");
    assert.ok(
      out
        .texts("info")
        .some((t) => t.startsWith(`Resuming ${name(10)} (step 10), older than the newest: moved 2 newer checkpoints`) && t.includes(`${url}/rolled-back-`)),
      out.texts("info").join("\n"),
    );
    const stored = await keys("runs/back");
    assert.ok(
      stored.some((k) => /^rolled-back-[^/]+\/ckpt-step-00000030-final\/manifest\.json$/.test(k)),
      stored.join(", "),
    );
    assert.ok(stored.includes(`${name(30, "final")}/manifest.json`), "the continued line saved its own final checkpoint");
    const reader = await CheckpointStore.open(url, { readOnly: true });
    try {
      assert.deepEqual(await reader.latest(), { name: name(30, "final") });
    } finally {
      await reader.close();
    }
  });

  it("`nbresume log s3://…` prints the bucket's metrics.jsonl and summary", async () => {
    const url = `s3://${BUCKET}/runs/trained`;
    let stdout = "";
    const sink = new Writable({
      write: (chunk: Buffer, _e, done) => {
        stdout += chunk.toString();
        done();
      },
    });
    const code = await runCli(["log", url, "--json"], { stdout: sink, stderr: new Writable({ write: (_c, _e, done) => done() }), env: { ...process.env } });
    assert.equal(code, 0, stdout);
    const doc = JSON.parse(stdout) as { dir: string; steps: number; summary: { status: string } | null };
    assert.equal(doc.dir, url);
    assert.equal(doc.steps, 30);
    assert.equal(doc.summary?.status, "finished");
  });

  it("shows a mirrored run's uploads in one line of the live view; a rerun on a new machine says what it copied down, its record included", async () => {
    const local = await makeTempDir("s3-run-mirrored");
    scratch.push(local);
    const mirror = `s3://${BUCKET}/runs/mirrored`;
    const out = new RecordingOutput();
    const result = await (
      await mlpRun(path.join(local, "run"), { ...S3_RUN_OPTIONS, steps: 20, output: out, checkpointStore: { mirror } satisfies RunStoreOptions })
    ).train();
    assert.equal(result.status, "finished");
    const lines = out.views.flatMap((v) => v.context.notes ?? []).filter((n) => n.startsWith(`mirror ${mirror}: `));
    assert.ok(lines.length > 0, out.views.map((v) => (v.context.notes ?? []).join(" | ")).join("\n"));
    assert.ok((await keys("runs/mirrored")).includes(`${name(20, "final")}/manifest.json`));
    // summary.json is written while the store is open, so the mirror has it too.
    assert.equal((JSON.parse(new TextDecoder().decode(await object("runs/mirrored/summary.json"))) as { status: unknown }).status, "finished");
    // A new machine: the rerun says what it copied down from the bucket.
    await fsp.rm(path.join(local, "run"), { recursive: true, force: true });
    const again = new RecordingOutput();
    const resumed = await (await mlpRun(path.join(local, "run"), { ...S3_RUN_OPTIONS, steps: 30, output: again, checkpointStore: { mirror } })).train();
    assert.equal(resumed.resumedFrom?.name, name(20, "final"));
    assert.ok(again.texts("info").includes(msg.pulledFromMirror(name(20, "final"), mirror, [])), again.texts("info").join("\n"));
    // The run's record came down with it and went on: every step once, in the directory and in the bucket.
    assert.deepEqual(again.texts("warn"), []);
    const steps = Array.from({ length: 30 }, (_, i) => i + 1);
    assert.deepEqual(
      (await readMetricsLog(path.join(local, "run"))).lines.map((l) => l["step"]),
      steps,
    );
    assert.deepEqual(
      parseMetrics(await object("runs/mirrored/metrics.jsonl")).lines.map((l) => l["step"]),
      steps,
    );
  });

  it("a machine that comes back with an old copy of a mirrored run takes the bucket's whole record, keeping its own aside, and never mirrors a shorter one over it", async () => {
    const local = await makeTempDir("s3-run-behind");
    scratch.push(local);
    const mirror = `s3://${BUCKET}/runs/behind`;
    const run = path.join(local, "run");
    const old = path.join(local, "old-copy");
    const options = { ...S3_RUN_OPTIONS, checkpointStore: { mirror } satisfies RunStoreOptions };
    await (await mlpRun(run, { ...options, steps: 10 })).train();
    await fsp.cp(run, old, { recursive: true });
    // The run goes on (another machine, in effect) to step 20: the bucket's record has 20 steps.
    await (await mlpRun(run, { ...options, steps: 20 })).train();
    // This machine comes back with its copy from step 10 and trains on to 30.
    await fsp.rm(run, { recursive: true, force: true });
    await fsp.rename(old, run);
    const out = new RecordingOutput();
    const resumed = await (await mlpRun(run, { ...options, steps: 30, output: out })).train();
    assert.equal(resumed.resumedFrom?.name, name(20, "final"));
    assert.deepEqual(out.texts("warn"), [], "no steps missing from the record");
    const steps = Array.from({ length: 30 }, (_, i) => i + 1);
    assert.deepEqual(
      (await readMetricsLog(run)).lines.map((l) => l["step"]),
      steps,
    );
    assert.deepEqual(
      parseMetrics(await object("runs/behind/metrics.jsonl")).lines.map((l) => l["step"]),
      steps,
    );
    const aside = (await fsp.readdir(run)).filter((n) => /^metrics-before-.*\.jsonl$/.test(n));
    assert.equal(aside.length, 1, "this machine's own record is kept aside");
    assert.deepEqual(
      parseMetrics(await fsp.readFile(path.join(run, aside[0]!))).lines.map((l) => l["step"]),
      steps.slice(0, 10),
    );
  });

  it("writes everything, summary.json included, to a bucket configured only by checkpointStore.s3 (no AWS_* environment)", async () => {
    const url = `s3://${BUCKET}/runs/configured`;
    const env = awsEnv(s3);
    for (const key of Object.keys(env)) delete process.env[key];
    const out = new RecordingOutput();
    try {
      const result = await (await mlpRun(url, { ...S3_RUN_OPTIONS, steps: 20, output: out, checkpointStore: { s3: s3.options() } })).train();
      assert.equal(result.status, "finished");
    } finally {
      Object.assign(process.env, env);
    }
    assert.deepEqual(out.texts("warn"), []);
    const stored = await keys("runs/configured");
    for (const key of [`${name(20, "final")}/manifest.json`, "metrics.jsonl", "loss.png", "summary.json"])
      assert.ok(stored.includes(key), `${key} is not in the bucket: ${stored.join(", ")}`);
  });

  it("refuses at resumable() an initFrom in a bucket (local files only) and a dir URL with no bucket, saying what to do", async () => {
    const url = `s3://${BUCKET}/runs/trained/${name(30, "final")}`;
    await assert.rejects(
      mlpRun(path.join("/tmp", "never-created"), { initFrom: url }),
      (e: unknown) => e instanceof TypeError && e.message === msg.initFromUrl(url),
    );
    await assert.rejects(
      mlpRun(path.join("/tmp", "never-created"), { initFrom: { path: url, strict: false } }),
      (e: unknown) => e instanceof TypeError && e.message === msg.initFromUrl(url),
    );
    await assert.rejects(
      mlpRun("s3://"),
      (e: unknown) => e instanceof TypeError && e.message === msg.badOption("dir", 'a non-empty path, or "s3://bucket/prefix"', "s3://"),
    );
  });

  it("says in one line whether a mirror is failing, uploading, behind or up to date", () => {
    const base: MirrorStatus = { target: "s3://b/run", uploading: undefined, behind: 0, lastUploaded: undefined, consecutiveFailures: 0, lastError: undefined };
    assert.equal(mirrorLine(base), "mirror s3://b/run: nothing uploaded yet");
    assert.equal(mirrorLine({ ...base, lastUploaded: { name: name(40), step: 40, uploadedAt: "" } }), `mirror s3://b/run: up to date (${name(40)})`);
    assert.equal(
      mirrorLine({ ...base, behind: 2, uploading: { name: name(60), bytes: 1024, totalBytes: 4096, startedAt: "" } }),
      `mirror s3://b/run: uploading ${name(60)} (${formatBytes(1024)} of ${formatBytes(4096)}), 1 more queued`,
    );
    assert.equal(
      mirrorLine({ ...base, behind: 1, consecutiveFailures: 2, lastError: "503 SlowDown" }),
      "mirror s3://b/run: 2 uploads failed in a row (503 SlowDown); tried again with the next checkpoint",
    );
    // Once training is over the last view stays on screen while close() waits for the uploads.
    assert.equal(
      mirrorLine({ ...base, behind: 1, uploading: { name: name(60), bytes: 4096, totalBytes: 4096, startedAt: "" } }, true),
      `mirror s3://b/run: uploading ${name(60)} (${formatBytes(4096)} of ${formatBytes(4096)}); train() returns once it is in the bucket (or after a minute in which no upload moves)`,
    );
    assert.equal(mirrorLine({ ...base, lastUploaded: { name: name(40), step: 40, uploadedAt: "" } }, true), `mirror s3://b/run: up to date (${name(40)})`);
  });
});

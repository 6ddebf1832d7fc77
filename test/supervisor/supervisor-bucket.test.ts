/**
 * `nbresume run` on a run whose dir is a bucket (`dir=s3://bucket/prefix`), with a real Jupyter
 * server, the real nbresume kernel and the test S3 server (s3rver): after its kernel is SIGKILLed
 * the supervisor reads the bucket's checkpoints (not a local path "s3:/…") and says the step the
 * training resumes from; a run whose lease another writer left behind (it died on another machine
 * less than a lease ago) is waited for and then trained, where the supervisor used to call the
 * training cell broken; a run another writer keeps holding stops saying so, exit 1.
 */
import assert from "node:assert/strict";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { LEASE_KEY } from "../../src/checkpoint/storage/s3/s3-lease.js";
import { cellName, supervisorMessages as msg, SupervisorExit } from "../../src/supervisor/messages.js";
import { cellHeadline } from "../../src/supervisor/notebook-file.js";
import { awsEnv, startS3, type TestS3, useAwsEnv } from "../storage/s3-server.js";
import { notebookWithCells } from "../support/nbconvert.js";
import { createProject, newestCheckpoint, readExecuted, SupervisedRun, type Project } from "./supervised-run.js";

const BUCKET = "trial";
const TRAINING =
  "const run = resumable({ dir, model: mlpClassifier({ inputSize: 784, hidden: [16], classes: 10 }), data, optimizer: adamw(),\n" +
  "  schedule: constantLr(1e-3), steps, batchSize: 16, checkpointEvery: 20 });\nawait run.train();";

/** A tiny MLP run whose dir is a parameter: the run and its train() in one cell, as the supervisor reruns it. */
function bucketNotebook(): object {
  const code = notebookWithCells([
    'import { resumable, mnist, mlpClassifier, adamw, constantLr } from "nbresume";',
    'let steps = 100;\nlet dir = "runs/local";',
    "const data = await mnist();",
    TRAINING,
    'console.log("after training");',
  ]);
  return { ...code, cells: code.cells.map((c, i) => (i === 1 ? { ...c, metadata: { tags: ["parameters"] } } : c)) };
}

/** The newest checkpoint's step in the bucket run, -1 before any. */
async function newestStep(url: string): Promise<number> {
  return (await newestCheckpoint(url))?.step ?? -1;
}

describe("nbresume run on a run in a bucket", function () {
  this.timeout(240_000);
  let project: Project;
  let s3: TestS3;
  let restoreEnv: () => void = () => undefined;
  let notebook: string;

  before(async function () {
    s3 = await startS3();
    await s3.createBucket(BUCKET);
    restoreEnv = useAwsEnv(s3);
    project = createProject("nbresume-supervisor-bucket-");
    Object.assign(project.env, awsEnv(s3));
    notebook = project.writeNotebook("bucket.ipynb", bucketNotebook());
  });

  after(async function () {
    project?.remove();
    restoreEnv();
    await s3?.close();
  });

  it("reads the bucket's checkpoints after a crash: says the step the training resumes from, not 'no checkpoint in …/s3:/…'", async function () {
    const url = `s3://${BUCKET}/run-a`;
    const run = SupervisedRun.start(project, [notebook, "--param", "steps=600", `dir=${url}`, "--out", "a.ipynb"]);
    await run.until("a checkpoint in the bucket", async () => (await newestStep(url)) >= 20);
    const pids = run.kernelPids();
    assert.equal(pids.length, 1, run.output);
    process.kill(pids[0]!, "SIGKILL");
    const exit = await run.finish();
    assert.equal(exit.code, SupervisorExit.FINISHED, run.output);

    const restarts = readExecuted(`${project.dir}/a.ipynb`).metadata.nbresume?.run?.restarts ?? [];
    assert.equal(restarts.length, 1, run.output);
    const restart = restarts[0]!;
    assert.ok(restart.resumedFrom !== null && restart.resumedFrom >= 20 && restart.checkpoint !== null, `${JSON.stringify(restart)}\n${run.output}`);
    assert.ok(run.stderr.includes(msg.resumesFrom(restart.resumedFrom, restart.checkpoint)), run.output);
    assert.ok(!run.stderr.includes("No checkpoint in") && !run.stderr.includes("Cannot read the run's checkpoints"), run.output);
    assert.match(run.stdout, new RegExp(`^Resuming at step ${restart.resumedFrom.toLocaleString("en-US")} of 600 `, "m"));
    assert.equal(await newestStep(url), 600);
  });

  it("waits for the lease a writer that died on another machine left, then trains: exit 0, no 'fix the cell'", async function () {
    const url = `s3://${BUCKET}/run-b`;
    // A writer on another machine ("gpu-box-2") renews its 4-second lease each second, and dies (renews no more, releases nothing)
    // the moment the training cell finds the run held: it dies after the supervisor starts, however long that takes.
    let expires = "";
    const renew = async (): Promise<void> => {
      expires = new Date(Date.now() + 4_000).toISOString();
      const lease = { pid: 4532, hostname: "gpu-box-2", started: new Date().toISOString(), argv: ["node", "train.js"], token: "dead0000dead0000", expires };
      await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: `run-b/${LEASE_KEY}`, Body: JSON.stringify(lease) }));
    };
    await renew();
    let renewing = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewing.then(renew);
    }, 1_000);
    const run = SupervisedRun.start(project, [notebook, "--param", `dir=${url}`, "--out", "b.ipynb"]);
    try {
      await run.until("the training cell refused", () => run.stderr.includes("[CHECKPOINT_LOCKED]"));
    } finally {
      clearInterval(timer);
      await renewing;
    }
    const exit = await run.finish();
    assert.equal(exit.code, SupervisorExit.FINISHED, run.output);
    const training = cellName(4, 6, cellHeadline({ cell_type: "code", source: TRAINING }));
    const waiting = run.stderr.split("\n").find((l) => l.startsWith("The run "));
    assert.ok(waiting !== undefined, run.output);
    const waitedS = Number(/Waiting ([\d.]+) s/.exec(waiting)?.[1]);
    assert.ok(waitedS > 0 && waitedS <= 6.1, waiting);
    const read = /until (\S+):/.exec(waiting)?.[1] ?? "";
    assert.ok(Date.parse(read) <= Date.parse(expires), `${read} is the last lease the writer wrote or one before (${expires})`);
    assert.equal(waiting, msg.runHeldWaiting(url, 4532, "gpu-box-2", read, waitedS * 1000, training));
    assert.ok(!/fix the cell/i.test(run.stderr), run.output);
    assert.ok(run.stdout.includes("after training"), run.output);
    assert.equal(await newestStep(url), 100);
    assert.equal(readExecuted(`${project.dir}/b.ipynb`).metadata.nbresume?.run?.status, "finished");
  });

  it("stops with exit 1 naming the writer when it still holds the run after the wait, without calling the cell broken", async function () {
    const url = `s3://${BUCKET}/run-c`;
    // A live writer (this test process), renewing a 3-second lease while it runs.
    const holder = await CheckpointStore.open(url, { s3: { leaseSeconds: 3 } });
    try {
      const run = await SupervisedRun.run(project, [notebook, "--param", `dir=${url}`, "--out", "c.ipynb"]);
      assert.equal(run.exit.code, SupervisorExit.FAILED, run.output);
      assert.equal(run.stderr.split("\n").filter((l) => l.startsWith("The run ") && l.includes(`(pid ${process.pid} on host `)).length, 1, run.output);
      const stopped = run.stderr.split("\n").find((l) => l.startsWith("Stopped: "));
      assert.ok(stopped !== undefined && stopped.includes(`still held by another writer (pid ${process.pid} on host `), run.output);
      assert.ok(!/fix the cell/i.test(run.stderr) && !run.stdout.includes("after training"), run.output);
      assert.equal(readExecuted(`${project.dir}/c.ipynb`).metadata.nbresume?.run?.status, "cell-error");
    } finally {
      await holder.close();
    }
  });

  it("stops promptly on SIGTERM while it waits for another writer's lease: exit 143", async function () {
    const url = `s3://${BUCKET}/run-d`;
    const holder = await CheckpointStore.open(url, { s3: { leaseSeconds: 60 } });
    try {
      const run = SupervisedRun.start(project, [notebook, "--param", `dir=${url}`, "--out", "d.ipynb"]);
      await run.until("the wait for the lease", () => run.stderr.split("\n").some((l) => l.startsWith("The run ")));
      const signalledAt = Date.now();
      run.signal("SIGTERM");
      const exit = await run.finish();
      assert.equal(exit.code, SupervisorExit.SIGTERM, run.output);
      assert.ok(Date.now() - signalledAt < 15_000, `stopped ${Date.now() - signalledAt} ms after the signal, not at the lease's end`);
      assert.ok(run.stderr.includes(msg.stopped("SIGTERM", `${project.dir}/d.ipynb`)), run.output);
    } finally {
      await holder.close();
    }
  });
});

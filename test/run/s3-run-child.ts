/**
 * A run in a bucket as a notebook cell runs it, in a process of its own so the test can SIGKILL
 * it mid-training (s3-run.test.ts). Each step's learning rate is looked up after a 25 ms pause, so
 * training is slow enough for the kill to land between checkpoints on any machine; the schedule's
 * config is the plain one's, so the cell that resumes it is the same run.
 *
 *   node --import tsx s3-run-child.ts s3://bucket/prefix STEPS     (AWS_* configure the bucket)
 */
import "../../src/engine/register-builtins.js";
import type { Schedule } from "../../src/engine/optim/schedule.js";
import { cosineWithWarmup } from "../../src/engine/optim/schedules.js";
import { S3_RUN_OPTIONS } from "./s3-run-options.js";
import { mlpRun } from "./mlp-run.js";

const [dir, steps] = process.argv.slice(2);
if (dir === undefined || steps === undefined) throw new Error("usage: s3-run-child.ts s3://bucket/prefix STEPS");
const plain = cosineWithWarmup({ lr: 3e-3, warmupSteps: 10, totalSteps: 100_000, minLr: 1e-4 });
const pause = new Int32Array(new SharedArrayBuffer(4));
const slow: Schedule = {
  config: plain.config,
  lr(step) {
    Atomics.wait(pause, 0, 0, 25);
    return plain.lr(step);
  },
};
const result = await (await mlpRun(dir, { ...S3_RUN_OPTIONS, steps: Number(steps), schedule: slow, output: "silent" })).train();
process.stdout.write(`${result.status} ${result.step}\n`);

/**
 * The exact-resume harness: a fixture process (resume-fixture.ts) trains N steps straight; another
 * trains the first k and writes its state dict to disk; a third, a new process, loads it and trains
 * the remaining N − k. assertExactResume() checks that the two ways end bitwise the same.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { StateDict } from "../../src/engine/session/training-session.js";
import { assertBitwiseEqual } from "./bitwise-equal.js";
import { readRun } from "./run-record.js";

const run = promisify(execFile);

export interface RecordedRun {
  readonly dict: StateDict;
  readonly losses: number[];
}

export interface SplitRuns {
  readonly straight: RecordedRun;
  readonly first: RecordedRun;
  readonly resumed: RecordedRun;
}

/** Runs `fixture` straight for `steps`, then split at `splitAt` across two processes; runs go under `dir`. */
export async function trainStraightAndSplit(fixture: string, dir: string, steps: number, splitAt: number): Promise<SplitRuns> {
  const node = async (...args: string[]): Promise<void> => {
    await run(process.execPath, ["--import", "tsx", fixture, ...args], { cwd: process.cwd() });
  };
  await node("--out", join(dir, "straight"), "--steps", String(steps), "--total", String(steps));
  await node("--out", join(dir, "first"), "--steps", String(splitAt), "--total", String(steps));
  await node("--out", join(dir, "resumed"), "--steps", String(steps - splitAt), "--total", String(steps), "--from", join(dir, "first"));
  return { straight: await readRun(join(dir, "straight")), first: await readRun(join(dir, "first")), resumed: await readRun(join(dir, "resumed")) };
}

/**
 * The split run ends as the straight one: the losses step by step, every model and optimizer tensor
 * bitwise, the step count, the generator and the data cursor — and the first part alone did not
 * (so the resumed process really depended on the restored state).
 */
export function assertExactResume({ straight, first, resumed }: SplitRuns, steps: number): void {
  assert.equal(straight.losses.length, steps);
  assert.deepEqual([...first.losses, ...resumed.losses], straight.losses);
  assertBitwiseEqual(resumed.dict.tensors.model, straight.dict.tensors.model, "model");
  assertBitwiseEqual(resumed.dict.tensors.optimizer, straight.dict.tensors.optimizer, "optimizer");
  assert.equal(resumed.dict.state.step, steps);
  assert.deepEqual(resumed.dict.state.rng, straight.dict.state.rng);
  assert.deepEqual(resumed.dict.state["data"], straight.dict.state["data"]);
  assert.notDeepEqual(first.dict.state.rng, straight.dict.state.rng);
}

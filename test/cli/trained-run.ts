/**
 * A finished run the CLI tests read: 300 steps of the small MLP, a rolling checkpoint, an
 * evaluation (val_loss, val_accuracy) and a sample grid every 50 steps, all six checkpoints kept.
 * Trained once per test file; a test that changes the run works on its own copy (copyRun).
 */
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { ResumableOptions } from "../../src/run/run.js";
import { mlpRun } from "../run/mlp-run.js";

export const RUN_STEPS = 300;
export const RUN_EVERY = 50;

/** Trains the run into `dir` and resolves when train() has finished. */
export async function trainRun(dir: string, overrides: Partial<ResumableOptions> = {}): Promise<void> {
  const run = await mlpRun(dir, { steps: RUN_STEPS, checkpointEvery: RUN_EVERY, evalEvery: RUN_EVERY, keep: { rolling: 10 }, ...overrides });
  await run.train();
}

/** A copy of the run at `dir` in a new temporary folder (its path). */
export function copyRun(dir: string): string {
  const copy = path.join(mkdtempSync(path.join(tmpdir(), "nbresume-cli-copy-")), path.basename(dir));
  cpSync(dir, copy, { recursive: true });
  return copy;
}

/**
 * Which checkpoint a step gets, if any: the last step a final one; the end of every N-th epoch an
 * epoch one (when asked for); every `checkpointEvery` steps, when the time-based clock says one is
 * due (save-clock.ts), and at every new best a rolling one.
 */
import type { CheckpointKind } from "../checkpoint/store.js";

export interface CheckpointSchedule {
  readonly steps: number;
  /** Every this many steps (undefined: by time only). */
  readonly checkpointEvery: number | undefined;
  /** An epoch checkpoint when the epoch just reached is a multiple of this (undefined: none). */
  readonly epochEvery: number | undefined;
}

/** `epoch`: the loader's epoch after the step (the one an epoch checkpoint records). */
export function checkpointKindAfter(
  schedule: CheckpointSchedule,
  step: number,
  epoch: number,
  epochEnded: boolean,
  newBest: boolean,
  timeDue: boolean,
): CheckpointKind | undefined {
  if (step === schedule.steps) return "final";
  if (epochEnded && schedule.epochEvery !== undefined && epoch % schedule.epochEvery === 0) return "epoch";
  if ((schedule.checkpointEvery !== undefined && step % schedule.checkpointEvery === 0) || newBest || timeDue) return "rolling";
  return undefined;
}

/** The next step a step-based checkpoint is due at (the final step at the latest). */
export function nextCheckpointStep(schedule: CheckpointSchedule, step: number): number {
  const every = schedule.checkpointEvery;
  const next = every === undefined ? schedule.steps : (Math.floor(step / every) + 1) * every;
  return Math.min(next, schedule.steps);
}

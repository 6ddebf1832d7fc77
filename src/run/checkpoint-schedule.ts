/**
 * Which checkpoint a step gets, if any: the last step a final one; the end of an epoch an epoch
 * one (when asked for); every `checkpointEvery` steps and at every new best a rolling one.
 */
import type { CheckpointKind } from "../checkpoint/store.js";

export interface CheckpointSchedule {
  readonly steps: number;
  readonly checkpointEvery: number;
  readonly epochCheckpoints: boolean;
}

export function checkpointKindAfter(schedule: CheckpointSchedule, step: number, epochEnded: boolean, newBest: boolean): CheckpointKind | undefined {
  if (step === schedule.steps) return "final";
  if (epochEnded && schedule.epochCheckpoints) return "epoch";
  if (step % schedule.checkpointEvery === 0 || newBest) return "rolling";
  return undefined;
}

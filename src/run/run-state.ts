/**
 * What resumable() keeps in a checkpoint's state.json besides the store's own fields: the run's
 * config (compared on resume), the training session's JSON state (step, RNG, optimizer and
 * schedule configs), the data loader's cursor, the loss history and the best metric so far.
 * Read back from disk it is untrusted: parseRunState checks the parts the run relies on.
 */
import type { CheckpointState } from "../checkpoint/store.js";
import type { DataLoaderCursor } from "../engine/data/batch.js";
import type { JsonObject } from "../engine/nn/json.js";
import type { TrainingState } from "../engine/session/training-session.js";
import type { LossHistoryJson } from "./loss-history.js";

export const RUN_STATE_VERSION = 1;

export interface BestSoFar {
  readonly metric: string;
  readonly mode: "min" | "max";
  readonly value: number;
  readonly step: number;
}

export interface RunState {
  readonly run: typeof RUN_STATE_VERSION;
  readonly config: JsonObject;
  /** argv that continues the run (for `nbresume resume-command`), when a script recorded it. */
  readonly command?: readonly string[];
  readonly training: TrainingState;
  readonly data: DataLoaderCursor;
  readonly history: LossHistoryJson;
  readonly best: BestSoFar | null;
  /** The last validation metrics (val_loss, …), if any. */
  readonly validation: Readonly<Record<string, number>> | null;
  /**
   * The model as the checkpoint knows it without its code: a fingerprint of its loss graph, its
   * stored graphs (stored-graphs.ts) and its previews' settings. Absent in older checkpoints.
   */
  readonly model?: RunModelRecord;
}

export interface RunModelRecord {
  readonly fingerprint: string;
  readonly graphs: readonly JsonObject[];
  readonly previews: readonly JsonObject[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The run state inside a loaded checkpoint's state, or a one-line reason why it is not one. */
export function parseRunState(state: CheckpointState): { state: RunState } | { problem: string } {
  if (state.run !== RUN_STATE_VERSION) return { problem: `"run" is ${JSON.stringify(state.run)}, expected ${RUN_STATE_VERSION}` };
  if (!isObject(state.config)) return { problem: '"config" is missing' };
  const training = state.training;
  if (!isObject(training) || typeof training.step !== "number" || !("rng" in training)) return { problem: '"training" (the session state) is missing or incomplete' };
  if (training.step !== state.step) return { problem: `"training.step" is ${String(training.step)} but the checkpoint's step is ${state.step}` };
  if (!isObject(state.data)) return { problem: '"data" (the data loader cursor) is missing' };
  const best = state.best;
  const validBest =
    best === null ||
    best === undefined ||
    (isObject(best) && typeof best.metric === "string" && (best.mode === "min" || best.mode === "max") && typeof best.step === "number" && (typeof best.value === "number" || best.value === null));
  if (!validBest) return { problem: '"best" is malformed' };
  const validation = isObject(state.validation) && Object.values(state.validation).every((v) => typeof v === "number" || v === null) ? (state.validation as Record<string, number>) : null;
  return {
    state: {
      run: RUN_STATE_VERSION,
      config: state.config as JsonObject,
      ...(Array.isArray(state.command) ? { command: state.command as string[] } : {}),
      training: training as unknown as TrainingState,
      data: state.data as unknown as DataLoaderCursor,
      history: state.history as LossHistoryJson,
      best: best === undefined || best === null ? null : { ...(best as unknown as BestSoFar), value: (best as { value: number | null }).value ?? Number.NaN },
      validation,
      ...(isObject(state.model) && typeof state.model.fingerprint === "string"
        ? { model: {
            fingerprint: state.model.fingerprint,
            graphs: Array.isArray(state.model.graphs) ? (state.model.graphs.filter(isObject) as JsonObject[]) : [],
            previews: Array.isArray(state.model.previews) ? (state.model.previews.filter(isObject) as JsonObject[]) : [],
          } }
        : {}),
    },
  };
}

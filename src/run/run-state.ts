/**
 * What resumable() keeps in a checkpoint's state.json besides the store's own fields: the run's
 * config (compared on resume), the training session's JSON state (step, RNG, optimizer and
 * schedule configs), the data loader's cursor, the loss history and the best metric so far — and
 * everything else that decides what happens next, so a resumed run does what an uninterrupted one
 * would: the smoothed loss, early stopping's counter, the time-based save clock, the weights EMA's
 * update count, the divergence guard's roll-backs, and the line of training the checkpoint is on.
 * Read back from disk it is untrusted: parseRunState checks the parts the run relies on, and an
 * optional part that is malformed is dropped (the run then starts that part afresh). The fields
 * other readers need too (config, command, notebook, model, best) are read by the checkpoint
 * layer's readRecordedRun, so the run and the CLI agree on what a checkpoint says.
 */
import { readRecordedRun, type RecordedBest } from "../checkpoint/recorded-run.js";
import type { CheckpointState } from "../checkpoint/store.js";
import type { DataLoaderCursor } from "../engine/data/batch.js";
import type { JsonObject } from "../engine/nn/json.js";
import type { TrainingState } from "../engine/session/training-session.js";
import type { DivergenceJson } from "./divergence-guard.js";
import type { EarlyStoppingState } from "./early-stopping.js";
import type { WeightEmaJson } from "./ema.js";
import type { LossHistoryJson } from "./loss-history.js";
import type { SaveClockJson } from "./save-clock.js";
import type { SmoothedLossJson } from "./smoothed-loss.js";

export const RUN_STATE_VERSION = 1;

/** The best metric so far: the shape every reader of a checkpoint knows (recorded-run.ts). */
export type BestSoFar = RecordedBest;

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
  /** The option → flag map of `command` (resume-command edits the command with it). */
  readonly commandFlags?: Readonly<Record<string, string>>;
  /** The notebook that ran it (a run from a notebook has no command line). */
  readonly notebook?: NotebookRecord;
  readonly origin?: RunOrigin;
  /** The smoothed training loss's state (smoothed-loss.ts). */
  readonly smoothing?: SmoothedLossJson;
  readonly earlyStopping?: EarlyStoppingState;
  /** Training time: since the last scheduled checkpoint (time-based saves) and in all. */
  readonly clock?: SaveClockJson;
  /** The weights EMA's settings and update count (its values are the "ema" tensor group). */
  readonly ema?: WeightEmaJson;
  readonly divergence?: DivergenceJson;
}

export interface NotebookRecord {
  readonly path: string | null;
  /** The cell's id, when the kernel says which cell runs. */
  readonly cell: string | null;
  /** The parameters `nbresume run --param` gave the notebook (JSON values), when it ran under it. */
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/**
 * What started the line of training a checkpoint is on: "new" (a start in an empty directory),
 * "fresh" (onExisting: "fresh"), or "resumeFrom:<ref>" — and from which checkpoint. Resumes by
 * "auto" carry it on; a rerun with the same request and config continues the line instead of
 * starting it again.
 */
export interface RunOrigin {
  readonly request: string;
  /** The checkpoint it started from (a name in this directory, or a path), null for a start from scratch. */
  readonly from: string | null;
  readonly step: number;
  /** ISO time it started. */
  readonly at: string;
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
  // The fields other readers share (config, command, model, best, …) are read as they read them.
  const recorded = readRecordedRun(state);
  if (recorded.configObject === undefined) return { problem: '"config" is missing' };
  const training = state.training;
  if (!isObject(training) || typeof training.step !== "number" || !("rng" in training))
    return { problem: '"training" (the session state) is missing or incomplete' };
  if (training.step !== state.step) return { problem: `"training.step" is ${String(training.step)} but the checkpoint's step is ${state.step}` };
  if (!isObject(state.data)) return { problem: '"data" (the data loader cursor) is missing' };
  const { best, model, command, commandFlags, notebook } = recorded;
  if (best === "malformed") return { problem: '"best" is malformed' };
  const validation =
    isObject(state.validation) && Object.values(state.validation).every((v) => typeof v === "number" || v === null)
      ? (state.validation as Record<string, number>)
      : null;
  return {
    state: {
      run: RUN_STATE_VERSION,
      config: recorded.configObject as JsonObject,
      ...(Array.isArray(command) ? { command } : {}),
      training: training as unknown as TrainingState,
      data: state.data as unknown as DataLoaderCursor,
      history: state.history as LossHistoryJson,
      best,
      validation,
      ...(model?.fingerprint !== undefined
        ? { model: { fingerprint: model.fingerprint, graphs: model.graphs as JsonObject[], previews: model.previews as JsonObject[] } }
        : {}),
      ...(commandFlags === undefined ? {} : { commandFlags }),
      ...(notebook === undefined ? {} : { notebook }),
      ...optional(
        "origin",
        state.origin,
        (v) =>
          isObject(v) &&
          typeof v.request === "string" &&
          (typeof v.from === "string" || v.from === null) &&
          typeof v.step === "number" &&
          typeof v.at === "string",
      ),
      ...optional("smoothing", state.smoothing, (v) => isObject(v) && finite(v.raw) && finite(v.weight) && Number.isSafeInteger(v.count)),
      ...optional(
        "earlyStopping",
        state.earlyStopping,
        (v) =>
          isObject(v) &&
          (v.best === null || finite(v.best)) &&
          (v.bestStep === null || Number.isSafeInteger(v.bestStep)) &&
          Number.isSafeInteger(v.bad) &&
          (v.stoppedAt === null || Number.isSafeInteger(v.stoppedAt)),
      ),
      ...optional("clock", state.clock, (v) => isObject(v) && finite(v.sinceCheckpointMs) && finite(v.trainedMs)),
      ...optional("ema", state.ema, (v) => isObject(v) && finite(v.decay) && Number.isSafeInteger(v.updates)),
      ...optional(
        "divergence",
        state.divergence,
        (v) => isObject(v) && Number.isSafeInteger(v.rollbacks) && Number.isSafeInteger(v.skipped) && Number.isSafeInteger(v.skippedInARow),
      ),
    },
  };
}

function finite(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** `{ [key]: value }` when `valid(value)`, else nothing (a malformed optional part is started afresh). */
function optional<K extends string>(key: K, value: unknown, valid: (v: Record<string, unknown>) => boolean): Partial<Record<K, never>> {
  return isObject(value) && valid(value) ? ({ [key]: value } as Partial<Record<K, never>>) : {};
}

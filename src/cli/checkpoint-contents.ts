/**
 * What a checkpoint's state.json says about the run, summarized for `inspect`: the loss history,
 * the RNG and data cursor, the config, the command. The store reads the checkpoint
 * (CheckpointReader.contents: headers, state.json, the manifest, on any storage); what the run
 * recorded in its state is interpreted here.
 */
import { ownValue } from "../checkpoint/manifest.js";
import { readRecordedRun } from "../checkpoint/recorded-run.js";
import type { CheckpointState } from "../checkpoint/store.js";

export type { CheckpointContents, GroupContents, TensorSummary } from "../checkpoint/store.js";

/**
 * Where runs keep these things in state.json (first match wins): the run (src/run) writes
 * `training` (the session's state: rng, model config), `data` (the loader cursor) and `history`
 * (the loss history as { stride, train, validation }); plain scripts may use the flat names.
 */
const LOSS_HISTORY_KEYS = ["history", "lossHistory", "losses", "loss_history"];
const CURSOR_KEYS = ["data", "dataCursor", "cursor"];
const RNG_PATHS = [["training", "rng"], ["rng"], ["rngState"]];

export interface StateSummary {
  step: number;
  epoch: number;
  metrics: Record<string, number>;
  /**
   * The loss history and the key it is under: `length` training points (each standing for `stride`
   * steps in the run's compacted history, 1 for a plain array) and `validation` points; null when none.
   */
  lossHistory: { key: string; length: number; stride: number; validation: number } | null;
  rng: { key: string } | null;
  dataCursor: { key: string } | null;
  /** Top-level keys of state.config; null when state has no config object. */
  configKeys: string[] | null;
  /** Whether state.command records the command line that continues the run. */
  command: boolean;
  /** Every top-level key of state.json. */
  keys: string[];
  nbresume: string;
  format: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function lossHistoryOf(state: Record<string, unknown>): StateSummary["lossHistory"] {
  for (const key of LOSS_HISTORY_KEYS) {
    const v = ownValue(state, key);
    const train = isObject(v) ? ownValue(v, "train") : undefined;
    if (Array.isArray(v)) return { key, length: v.length, stride: 1, validation: 0 };
    if (isObject(v) && Array.isArray(train)) {
      const stride = ownValue(v, "stride");
      const validation = ownValue(v, "validation");
      return { key, length: train.length, stride: typeof stride === "number" ? stride : 1, validation: Array.isArray(validation) ? validation.length : 0 };
    }
  }
  return null;
}

/** The value at a path of own properties (never a prototype's member). */
function valueAt(state: Record<string, unknown>, keys: readonly string[]): unknown {
  let v: unknown = state;
  for (const k of keys) v = isObject(v) ? ownValue(v, k) : undefined;
  return v;
}

export function summarizeState(state: CheckpointState): StateSummary {
  const s = state as Record<string, unknown>;
  const rngPath = RNG_PATHS.find((p) => valueAt(s, p) !== undefined && valueAt(s, p) !== null);
  const cursorKey = CURSOR_KEYS.find((k) => isObject(ownValue(s, k)));
  const { configObject, command } = readRecordedRun(s);
  return {
    step: state.step,
    epoch: state.epoch,
    metrics: state.metrics,
    lossHistory: lossHistoryOf(s),
    rng: rngPath ? { key: rngPath.join(".") } : null,
    dataCursor: cursorKey ? { key: cursorKey } : null,
    configKeys: configObject ? Object.keys(configObject) : null,
    command: command !== undefined,
    keys: Object.keys(s),
    nbresume: state.nbresume,
    format: state.format,
  };
}

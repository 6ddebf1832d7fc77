/**
 * state.json: the caller's JSON state plus what the store records about the checkpoint (format,
 * nbresume version, kind, step, epoch, metrics). Its hash is in the manifest; when read back it
 * is still validated (untrusted input) and must agree with the manifest.
 */
import { NbresumeError } from "../errors.js";
import { MAX_JSON_DEPTH, jsonDepth } from "./json-depth.js";
import { FORMAT_VERSION, type Manifest, isPlainObject, ownValue, parseJsonFile, parseMetrics } from "./manifest.js";
import { CheckpointErrorCode, badArgument, invalidContent, checkpointMessages as messages } from "./messages.js";
import { STATE_FILE, isCheckpointKind } from "./naming.js";
import type { CheckpointKind, CheckpointProblem, CheckpointState, Metrics } from "./store.js";

/** Loss histories can be long, but a state file this large is not ours. */
export const MAX_STATE_BYTES = 256 * 1024 * 1024;

/** The fields the store writes; the caller's state may repeat them only with the same values. */
export const RESERVED_STATE_KEYS = ["format", "nbresume", "kind", "step", "epoch", "metrics"] as const;

export interface StateHeader {
  kind: CheckpointKind;
  step: number;
  epoch: number;
  metrics: Metrics;
  nbresume: string;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The bytes of state.json. Throws TypeError for state that is not a JSON object or contradicts the save. */
export function serializeState(header: StateHeader, callerState: object | undefined): Uint8Array {
  if (callerState !== undefined && (!isPlainObject(callerState) || callerState instanceof Map)) {
    throw new TypeError(badArgument.state(Object.prototype.toString.call(callerState)));
  }
  const ours: Record<(typeof RESERVED_STATE_KEYS)[number], unknown> = {
    format: FORMAT_VERSION,
    nbresume: header.nbresume,
    kind: header.kind,
    step: header.step,
    epoch: header.epoch,
    metrics: header.metrics,
  };
  const caller = callerState ?? {};
  for (const key of RESERVED_STATE_KEYS) {
    if (Object.prototype.hasOwnProperty.call(caller, key) && !sameJson(caller[key], ours[key])) {
      throw new TypeError(badArgument.stateConflict(key, caller[key], ours[key], RESERVED_STATE_KEYS));
    }
  }
  let text: string;
  try {
    text = JSON.stringify({ ...ours, ...caller, ...ours }, null, 1);
  } catch (error) {
    throw new TypeError(badArgument.stateNotJson((error as Error).message), { cause: error });
  }
  // Never write a state this store would refuse to read back (parseJsonFile bounds the depth).
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new TypeError(badArgument.stateTooDeep(MAX_JSON_DEPTH));
  return new TextEncoder().encode(`${text}\n`);
}

function invalid(detail: string): NbresumeError {
  return new NbresumeError(CheckpointErrorCode.CORRUPT, messages.fileInvalid(STATE_FILE, detail), { where: STATE_FILE });
}

/** Validate state.json bytes. Throws CHECKPOINT_CORRUPT naming state.json. */
export function parseState(bytes: Uint8Array): CheckpointState {
  if (bytes.byteLength > MAX_STATE_BYTES) throw invalid(invalidContent.tooLarge(bytes.byteLength, MAX_STATE_BYTES));
  const value = parseJsonFile(bytes, STATE_FILE);
  if (!isPlainObject(value)) throw invalid(invalidContent.notObject());
  const format = ownValue(value, "format");
  if (format !== FORMAT_VERSION) throw invalid(invalidContent.wrongStateFormat(format, FORMAT_VERSION));
  if (typeof ownValue(value, "nbresume") !== "string") throw invalid(invalidContent.notVersion());
  const kind = ownValue(value, "kind");
  if (!isCheckpointKind(kind)) throw invalid(invalidContent.badKind(kind));
  for (const key of ["step", "epoch"] as const) {
    const n = ownValue(value, key);
    if (n === undefined) throw invalid(invalidContent.missing(key));
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) throw invalid(invalidContent.notCount(key, n));
  }
  const metrics = parseMetrics(ownValue(value, "metrics"), STATE_FILE);
  return { ...value, metrics } as CheckpointState;
}

/** Where state.json and the manifest disagree (empty when they agree). */
export function stateManifestMismatches(state: CheckpointState, manifest: Manifest): CheckpointProblem[] {
  const problems: CheckpointProblem[] = [];
  for (const key of ["kind", "step", "epoch", "metrics", "nbresume"] as const) {
    if (!sameJson(state[key], manifest[key])) {
      problems.push({
        file: STATE_FILE,
        kind: "mismatch",
        message: messages.stateMismatch(key, state[key], manifest[key]),
        expected: JSON.stringify(manifest[key]),
        actual: JSON.stringify(state[key]),
      });
    }
  }
  return problems;
}

/**
 * What a run recorded in a checkpoint's state.json that more than the run reads: its config, the
 * command line that continues it (and the flag of each option), the notebook that ran it, the
 * model (its config, its stored graphs, its previews), the best metric so far, and the retention
 * policy and best metric it saved with. The run (run-state.ts), the store (resume command, config
 * diff) and the CLI (prune's policy, export, inspect, resume-command) all read these fields here,
 * so each field has one shape and one check.
 *
 * state.json is untrusted: every read is of an own property (a key named `constructor` is an
 * ordinary key), and a field of the wrong shape reads as not recorded — except `best`, which
 * reads as "malformed" so the run can refuse the checkpoint rather than forget its best.
 */
import { isPlainObject, ownValue } from "./manifest.js";
import { resolveRetentionPolicy } from "./retention.js";
import type { BestMetric, RetentionPolicy } from "./store.js";

/** The best metric so far as the run records it; a non-finite value (stored as null) reads as NaN. */
export interface RecordedBest {
  readonly metric: string;
  readonly mode: "min" | "max";
  readonly value: number;
  readonly step: number;
}

/** The run's model record: state.model as the run writes it. */
export interface RecordedModel {
  /** SHA-256 of the loss graph, when recorded. */
  readonly fingerprint: string | undefined;
  /** The stored graphs' records as written (objects; each is checked by whoever reads the graphs). */
  readonly graphs: readonly Record<string, unknown>[];
  /** The previews' `{ kind, settings }` as written (objects). */
  readonly previews: readonly Record<string, unknown>[];
}

export interface RecordedRun {
  /** state.config as recorded: any JSON value (the run records an object); undefined when absent. */
  readonly config: unknown;
  /** state.config when it is an object. */
  readonly configObject: Readonly<Record<string, unknown>> | undefined;
  /** state.command: the argv that continues the run, or one line a script recorded as a string. */
  readonly command: readonly string[] | string | undefined;
  /** state.commandFlags: the option → flag map of `command` (its string entries). */
  readonly commandFlags: Readonly<Record<string, string>> | undefined;
  /** state.notebook: the notebook and cell that ran the run (a path or cell not recorded reads as null). */
  readonly notebook: { readonly path: string | null; readonly cell: string | null; readonly parameters?: Readonly<Record<string, unknown>> } | undefined;
  /**
   * The model's config: the training session's (state.training.model, as the run saves it), a bare
   * session state's (state.model), else the run config's (state.config.model) — the first that is
   * an object with a string `kind`.
   */
  readonly modelConfig: Readonly<Record<string, unknown>> | undefined;
  /** state.model when it is the run's model record (an object), else undefined. */
  readonly model: RecordedModel | undefined;
  /** state.best: null when none was recorded (or recorded as null), "malformed" when it is not one. */
  readonly best: RecordedBest | null | "malformed";
  /** The retention policy recorded with the run (state.keep, else state.config.keep), when valid. */
  readonly keep: RetentionPolicy | undefined;
  /** The metric the run ranks checkpoints by: state.bestMetric, state.config.bestMetric, else the best's metric. */
  readonly bestMetric: BestMetric | undefined;
}

const MALFORMED = "malformed";

function isBestMetric(v: unknown): v is BestMetric {
  if (!isPlainObject(v)) return false;
  const name = ownValue(v, "name");
  const mode = ownValue(v, "mode");
  return typeof name === "string" && name.length > 0 && (mode === "min" || mode === "max");
}

function bestOf(value: unknown): RecordedBest | null | typeof MALFORMED {
  if (value === undefined || value === null) return null;
  if (!isPlainObject(value)) return MALFORMED;
  const metric = ownValue(value, "metric");
  const mode = ownValue(value, "mode");
  const step = ownValue(value, "step");
  const v = ownValue(value, "value");
  if (typeof metric !== "string" || (mode !== "min" && mode !== "max") || typeof step !== "number" || (typeof v !== "number" && v !== null)) return MALFORMED;
  return { metric, mode, step, value: v ?? Number.NaN };
}

function keepOf(candidates: readonly unknown[]): RetentionPolicy | undefined {
  for (const candidate of candidates) {
    if (!isPlainObject(candidate)) continue;
    try {
      resolveRetentionPolicy(candidate);
      return candidate;
    } catch {
      // not a valid policy: as if unrecorded
    }
  }
  return undefined;
}

function modelOf(value: unknown): RecordedModel | undefined {
  if (!isPlainObject(value)) return undefined;
  const fingerprint = ownValue(value, "fingerprint");
  const objects = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);
  return {
    fingerprint: typeof fingerprint === "string" ? fingerprint : undefined,
    graphs: objects(ownValue(value, "graphs")),
    previews: objects(ownValue(value, "previews")),
  };
}

function commandOf(value: unknown): readonly string[] | string | undefined {
  if (typeof value === "string") return value;
  return Array.isArray(value) && value.every((a) => typeof a === "string") ? value : undefined;
}

function commandFlagsOf(value: unknown): Record<string, string> | undefined {
  if (!isPlainObject(value)) return undefined;
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string"));
}

function notebookOf(value: unknown): RecordedRun["notebook"] {
  if (!isPlainObject(value)) return undefined;
  const path = ownValue(value, "path");
  const cell = ownValue(value, "cell");
  const parameters = ownValue(value, "parameters");
  return {
    path: typeof path === "string" ? path : null,
    cell: typeof cell === "string" ? cell : null,
    ...(isPlainObject(parameters) ? { parameters: { ...parameters } } : {}),
  };
}

/** The run's fields of a checkpoint's state (parsed state.json). */
export function readRecordedRun(state: Readonly<Record<string, unknown>>): RecordedRun {
  const config = ownValue(state, "config");
  const configObject = isPlainObject(config) ? config : undefined;
  const training = ownValue(state, "training");
  const modelConfig = [
    isPlainObject(training) ? ownValue(training, "model") : undefined,
    ownValue(state, "model"),
    configObject ? ownValue(configObject, "model") : undefined,
  ].find((c): c is Record<string, unknown> => isPlainObject(c) && typeof ownValue(c, "kind") === "string");
  const best = bestOf(ownValue(state, "best"));
  const metric = [
    ownValue(state, "bestMetric"),
    configObject ? ownValue(configObject, "bestMetric") : undefined,
    best === null || best === MALFORMED ? undefined : { name: best.metric, mode: best.mode },
  ].find(isBestMetric);
  return {
    config,
    configObject,
    command: commandOf(ownValue(state, "command")),
    commandFlags: commandFlagsOf(ownValue(state, "commandFlags")),
    notebook: notebookOf(ownValue(state, "notebook")),
    modelConfig,
    model: modelOf(ownValue(state, "model")),
    best,
    keep: keepOf([ownValue(state, "keep"), configObject ? ownValue(configObject, "keep") : undefined]),
    bestMetric: metric ? { name: metric.name, mode: metric.mode } : undefined,
  };
}

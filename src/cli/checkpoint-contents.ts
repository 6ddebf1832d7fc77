/**
 * What a checkpoint holds, read without loading tensor data: each group's safetensors header
 * (validated by the same reader the store uses), state.json and the manifest. Every part that
 * cannot be read is reported as a problem naming its file, and the rest is still shown. Read as
 * the store reads: nothing followed through a symlink, nothing but regular files opened.
 */
import * as path from "node:path";
import { scanCheckpointDir } from "../checkpoint/dir-scan.js";
import { NotRegularFileError, nodeFs, openRegularFile, readSmallFile } from "../checkpoint/durable-fs.js";
import { type Manifest, ownValue } from "../checkpoint/manifest.js";
import { STATE_FILE, groupOfFile } from "../checkpoint/naming.js";
import { DTYPE_OF, parseHeader, readHeaderLength } from "../checkpoint/safetensors/index.js";
import { MAX_STATE_BYTES, parseState } from "../checkpoint/state-file.js";
import type { CheckpointProblem, CheckpointState } from "../checkpoint/store.js";
import { readManifest } from "../checkpoint/verify.js";
import { messages as storeMessages } from "../checkpoint/messages.js";
import { BYTES_PER_ELEMENT, type DType } from "../tensor.js";

export interface TensorSummary {
  name: string;
  dtype: DType;
  shape: number[];
  elements: number;
  bytes: number;
}

export interface GroupContents {
  group: string;
  file: string;
  /** Tensors by name. Empty when the header could not be read. */
  tensors: TensorSummary[];
  elements: number;
  /** Bytes of tensor data. */
  tensorBytes: number;
  metadata: Record<string, string>;
}

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

export interface CheckpointContents {
  manifest: Manifest | undefined;
  groups: GroupContents[];
  state: CheckpointState | undefined;
  problems: CheckpointProblem[];
}

async function readGroup(dir: string, file: string, group: string): Promise<GroupContents> {
  const full = path.join(dir, file);
  const { handle, stat } = await openRegularFile(nodeFs, full);
  try {
    const { size } = stat;
    const first = new Uint8Array(8);
    await handle.read(first, 0, Math.min(8, size), 0);
    const n = readHeaderLength(first, size, file);
    const prefix = new Uint8Array(8 + n);
    const { bytesRead } = await handle.read(prefix, 0, 8 + n, 0);
    const header = parseHeader(prefix.subarray(0, bytesRead), size, file);
    const tensors = header.entries
      .map((e): TensorSummary => {
        const dtype = DTYPE_OF[e.dtype];
        const elements = e.shape.reduce((a, b) => a * b, 1);
        return { name: e.name, dtype, shape: [...e.shape], elements, bytes: elements * BYTES_PER_ELEMENT[dtype] };
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return {
      group, file, tensors,
      elements: tensors.reduce((s, t) => s + t.elements, 0),
      tensorBytes: tensors.reduce((s, t) => s + t.bytes, 0),
      metadata: { ...header.metadata },
    };
  } finally {
    await handle.close();
  }
}

function problemOf(file: string, error: unknown): CheckpointProblem {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return { file, kind: "missing", message: storeMessages.fileMissing(file) };
  if (error instanceof NotRegularFileError) return { file, kind: "special", message: storeMessages.fileSpecial(file, error.kind) };
  const detail = error instanceof Error ? error.message : String(error);
  return { file, kind: "invalid", message: detail.startsWith(file) ? detail : `${file}: ${detail}` };
}

export async function readCheckpointContents(dir: string): Promise<CheckpointContents> {
  const scan = await scanCheckpointDir(nodeFs, dir);
  if (scan !== undefined && scan.problems.some((p) => p.file === path.basename(dir))) {
    // The checkpoint itself is a symlink (or not a directory): nothing in it is read.
    return { manifest: undefined, groups: [], state: undefined, problems: scan.problems };
  }
  const { manifest, problems } = await readManifest(nodeFs, dir);
  problems.push(...(scan?.problems ?? []));
  const groups: GroupContents[] = [];
  // The manifest lists the groups; without it, whatever *.safetensors files are there.
  const files = manifest ? Object.keys(manifest.files) : await nodeFs.readdir(dir).catch(() => [] as string[]);
  for (const file of files) {
    const group = groupOfFile(file);
    if (group === undefined) continue;
    try {
      groups.push(await readGroup(dir, file, group));
    } catch (error) {
      problems.push(problemOf(file, error));
      groups.push({ group, file, tensors: [], elements: 0, tensorBytes: 0, metadata: {} });
    }
  }
  let state: CheckpointState | undefined;
  try {
    state = parseState(await readSmallFile(nodeFs, path.join(dir, STATE_FILE), MAX_STATE_BYTES));
  } catch (error) {
    problems.push(problemOf(STATE_FILE, error));
  }
  return { manifest, groups, state, problems };
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
  const config = ownValue(s, "config");
  return {
    step: state.step,
    epoch: state.epoch,
    metrics: state.metrics,
    lossHistory: lossHistoryOf(s),
    rng: rngPath ? { key: rngPath.join(".") } : null,
    dataCursor: cursorKey ? { key: cursorKey } : null,
    configKeys: isObject(config) ? Object.keys(config) : null,
    command: Array.isArray(ownValue(s, "command")) || typeof ownValue(s, "command") === "string",
    keys: Object.keys(s),
    nbresume: state.nbresume,
    format: state.format,
  };
}

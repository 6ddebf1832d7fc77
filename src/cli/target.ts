/**
 * Turning a command's DIR or CKPT argument into an open read-only store and, for CKPT, the
 * checkpoint it names. CKPT is a checkpoint directory, or a checkpoint root plus a ref (--ref,
 * default "auto": the newest checkpoint, the one a rerun resumes from).
 */
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { nodeFs } from "../checkpoint/durable-fs.js";
import { readLatestPointer } from "../checkpoint/latest-pointer.js";
import { MANIFEST_FILE, parseCheckpointDirName } from "../checkpoint/naming.js";
import { type ParsedRef, candidatesFor, parseRef } from "../checkpoint/resolve.js";
import { CheckpointStore } from "../checkpoint/store.js";
import type { BestMetric, CheckpointInfo, CheckpointReader, LoadedCheckpoint, SkippedCheckpoint } from "../checkpoint/store.js";
import { CheckpointErrorCode, messages as storeMessages } from "../checkpoint/messages.js";
import { NbresumeError } from "../errors.js";
import type { OptionSpec } from "./command.js";
import { messages } from "./messages.js";
import { effectivePolicy } from "./policy.js";
import { UsageError } from "./usage-error.js";

async function statOf(target: string) {
  return fsp.stat(target).catch(() => undefined);
}

/** A checkpoint directory: its name is a checkpoint name, or it holds a manifest.json (a regular file). */
export async function isCheckpointDir(dir: string): Promise<boolean> {
  if (parseCheckpointDirName(path.basename(dir))) return true;
  return (await fsp.lstat(path.join(dir, MANIFEST_FILE)).catch(() => undefined))?.isFile() === true;
}

async function existingDir(arg: string, command: string): Promise<string> {
  const abs = path.resolve(arg);
  const stat = await statOf(abs);
  if (!stat) throw new UsageError(messages.pathMissing(arg), command);
  if (!stat.isDirectory()) throw new UsageError(messages.notADirectory(arg), command);
  return abs;
}

/** "val_loss:min" → { name, mode }; UsageError otherwise. */
export function parseMetricOption(text: string | undefined, command: string): BestMetric | undefined {
  if (text === undefined) return undefined;
  const m = /^(.+):(min|max)$/.exec(text);
  if (!m) throw new UsageError(messages.badMetric(text), command);
  return { name: m[1] as string, mode: m[2] as "min" | "max" };
}

/** The checkpoint root DIR, opened read-only (no lock: safe beside a running training). */
export async function openRoot(arg: string, command: string, bestMetric?: BestMetric): Promise<CheckpointReader> {
  const dir = await existingDir(arg, command);
  if (await isCheckpointDir(dir)) throw new UsageError(messages.checkpointNotRoot(arg, path.dirname(dir)), command);
  return CheckpointStore.open(dir, { readOnly: true, ...(bestMetric ? { bestMetric } : {}) });
}

/** The name the `latest` pointer holds, if it holds a checkpoint name (read as the store reads it). */
export async function readLatestName(root: string): Promise<string | undefined> {
  const pointer = await readLatestPointer(nodeFs, root);
  return "name" in pointer ? pointer.name : undefined;
}

export interface OpenedCheckpoint {
  store: CheckpointReader;
  /** The checkpoint directory. */
  path: string;
  name: string;
  /** What the store lists for it (manifest summary, size); undefined for a directory outside any listing, and with `load` (`loaded` says more). */
  info: CheckpointInfo | undefined;
  /** With `verified`: newer candidates that failed verification and were passed over. */
  skipped: SkippedCheckpoint[];
  /** With `load`: the checkpoint's tensors and state, read once (that read verified it). */
  loaded?: LoadedCheckpoint;
}

export interface CheckpointArgs {
  arg: string;
  ref: string | undefined;
  bestMetric: BestMetric | undefined;
  /**
   * Resolve the way a rerun does: verify every file, fall back past damaged ones. Otherwise take
   * the ref's first candidate as it is (inspect shows a damaged checkpoint too).
   */
  verified: boolean;
  /** With `verified`: load the checkpoint too, each candidate read once (its hashing the verification). */
  load?: boolean;
  command: string;
}

export async function openCheckpoint(a: CheckpointArgs): Promise<OpenedCheckpoint> {
  const dir = await existingDir(a.arg, a.command);
  const given = await isCheckpointDir(dir);
  if (given && a.ref !== undefined) throw new UsageError(messages.refWithCheckpoint(a.arg), a.command);
  const root = given ? path.dirname(dir) : dir;
  const ref = given ? dir : a.ref ?? "auto";
  let parsed: ParsedRef;
  try {
    parsed = parseRef(ref, root);
  } catch (error) {
    throw new UsageError(messages.badRef(ref, (error as Error).message), a.command);
  }
  let bestMetric = a.bestMetric;
  if (bestMetric === undefined && parsed.type === "best") {
    // No --metric: rank by the metric the run recorded, as `prune` and `list` do.
    const reader = await CheckpointStore.open(root, { readOnly: true });
    try {
      bestMetric = (await effectivePolicy((await reader.list()).checkpoints, {})).bestMetric;
    } finally {
      await reader.close();
    }
  }
  const store = await CheckpointStore.open(root, { readOnly: true, ...(bestMetric ? { bestMetric } : {}) });
  try {
    if (a.verified && a.load === true) {
      const loaded = await store.resolveAndLoad(ref);
      if (!loaded) throw new NbresumeError(CheckpointErrorCode.NOT_FOUND, storeMessages.notFound(ref, root, storeMessages.noCheckpoints()), { where: root });
      return { store, path: loaded.path, name: loaded.name, info: undefined, skipped: loaded.skipped, loaded };
    }
    if (a.verified) {
      const hit = await store.resolve(ref);
      if (!hit) throw new NbresumeError(CheckpointErrorCode.NOT_FOUND, storeMessages.notFound(ref, root, storeMessages.noCheckpoints()), { where: root });
      return { store, path: hit.path, name: hit.name, info: hit, skipped: hit.skipped };
    }
    const { checkpoints } = await store.list();
    if (parsed.type === "path") {
      const dirPath = parsed.path;
      const info = checkpoints.find((c) => c.path === dirPath);
      return { store, path: dirPath, name: path.basename(dirPath), info, skipped: [] };
    }
    const order = candidatesFor(parsed, checkpoints, { latest: await readLatestName(root), bestMetric });
    const first = order.candidates[0];
    if (!first) throw new NbresumeError(CheckpointErrorCode.NOT_FOUND, storeMessages.notFound(ref, root, order.emptyReason), { where: root });
    return { store, path: first.path, name: first.name, info: first, skipped: [] };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** --ref and --metric, for commands that take CKPT. */
export const CHECKPOINT_OPTIONS: readonly OptionSpec[] = [
  { name: "ref", type: "string", value: "REF", description: "when CKPT is a checkpoint root: auto (default), latest, best, best-previous, step:N or a name" },
  { name: "metric", type: "string", value: "NAME:min|max", description: "the metric that ranks 'best' (default: what the run recorded)" },
];

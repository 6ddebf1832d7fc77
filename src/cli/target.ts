/**
 * Turning a command's DIR or CKPT argument into an open read-only store and, for CKPT, the
 * checkpoint it names. DIR is a checkpoint root: a directory, or `s3://bucket/prefix` (configured
 * as AWS tools are: AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_S3, …). CKPT is a checkpoint (a
 * directory, or s3://bucket/prefix/ckpt-…), or a root plus a ref (--ref, default "auto").
 *
 * Every command resolves a ref the same way: the way a rerun does, verifying every file and
 * falling back past damaged checkpoints, each one passed over reported with the same note
 * (noteSkipped). A checkpoint named directly is taken as it is: inspect and verify show a damaged
 * one with its problems, the others refuse it. A --ref that names nothing (no checkpoint of that
 * name in the root, no directory at that path) is "No checkpoint matches" in every command.
 */
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { MANIFEST_FILE, parseCheckpointDirName } from "../checkpoint/naming.js";
import { type ParsedRef, parseRef } from "../checkpoint/resolve.js";
import { isUrlLocation, joinLocation, parentLocation } from "../checkpoint/storage/location.js";
import { CheckpointStore } from "../checkpoint/store-factory.js";
import type { BestMetric, CheckpointInfo, CheckpointReader, LoadedCheckpoint, SkippedCheckpoint } from "../checkpoint/store.js";
import { CheckpointErrorCode, checkpointMessages as storeMessages } from "../checkpoint/messages.js";
import { NbresumeError } from "../errors.js";
import { stringOption } from "./args.js";
import type { CommandContext, OptionSpec } from "./command.js";
import { cliMessages as messages } from "./messages.js";
import type { Output } from "./output.js";
import { effectivePolicy } from "./policy.js";
import { UsageError } from "./usage-error.js";

async function statOf(target: string) {
  return fsp.stat(target).catch(() => undefined);
}

/**
 * A checkpoint rather than a root: its name is a checkpoint name, or (a directory) it holds a
 * manifest.json that is a regular file.
 */
export async function isCheckpointDir(dir: string): Promise<boolean> {
  if (parseCheckpointDirName(path.basename(dir.replace(/\/+$/, "")))) return true;
  if (isUrlLocation(dir)) return false;
  return (await fsp.lstat(path.join(dir, MANIFEST_FILE)).catch(() => undefined))?.isFile() === true;
}

/** The argument as a location: an existing directory made absolute, or a URL as given. */
async function existingLocation(arg: string, command: string): Promise<string> {
  if (isUrlLocation(arg)) return arg.replace(/\/+$/, "");
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

/** Open read-only; a malformed URL (TypeError from the storage) is a usage error. */
async function openReader(location: string, command: string, bestMetric: BestMetric | undefined): Promise<CheckpointReader> {
  try {
    return await CheckpointStore.open(location, { readOnly: true, ...(bestMetric ? { bestMetric } : {}) });
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(error.message, command);
    throw error;
  }
}

/** The checkpoint root DIR, opened read-only (no lock: safe beside a running training). */
export async function openRoot(arg: string, command: string, bestMetric?: BestMetric): Promise<CheckpointReader> {
  const location = await existingLocation(arg, command);
  if (await isCheckpointDir(location)) throw new UsageError(messages.checkpointNotRoot(arg, parentLocation(location)), command);
  return openReader(location, command, bestMetric);
}

/** The name the `latest` pointer holds, if it holds a checkpoint name (read by the store, as it reads it). */
export async function readLatestName(store: CheckpointReader): Promise<string | undefined> {
  const pointer = await store.latest();
  return "name" in pointer ? pointer.name : undefined;
}

export interface OpenedCheckpoint {
  store: CheckpointReader;
  /** The checkpoint's location (a directory, or an s3:// URL). */
  path: string;
  name: string;
  /** What the store lists for it (manifest summary, size); undefined for a checkpoint outside any listing, and with `load` (`loaded` says more). */
  info: CheckpointInfo | undefined;
  /** Candidates of the ref that failed verification and were passed over (noteSkipped prints them). */
  skipped: SkippedCheckpoint[];
  /** With `load`: the checkpoint's tensors and state, read once (that read verified it). */
  loaded?: LoadedCheckpoint;
}

export interface CheckpointArgs {
  arg: string;
  ref: string | undefined;
  bestMetric: BestMetric | undefined;
  /**
   * For a checkpoint named directly (CKPT, or --ref NAME/path): verify it and refuse it if damaged.
   * Otherwise it is taken as it is (inspect and verify show a damaged checkpoint too). A ref such as
   * auto, latest, best or step:N is always resolved with verification and fallback.
   */
  verified: boolean;
  /** Load the checkpoint too, each candidate read once (its hashing the verification). */
  load?: boolean;
  command: string;
}

/** The same note for every command: a candidate of the ref that was passed over, and which one is used. */
export function noteSkipped(out: Output, target: OpenedCheckpoint): void {
  for (const s of target.skipped) out.note(messages.skipped(s.name, s.problem, target.name));
}

export async function openCheckpoint(a: CheckpointArgs): Promise<OpenedCheckpoint> {
  const location = await existingLocation(a.arg, a.command);
  const given = await isCheckpointDir(location);
  if (given && a.ref !== undefined) throw new UsageError(messages.refWithCheckpoint(a.arg), a.command);
  const root = given ? parentLocation(location) : location;
  const ref = given ? location : (a.ref ?? "auto");
  let parsed: ParsedRef;
  try {
    // The ref's kind only (the store resolves where a path-like ref points).
    parsed = parseRef(ref, { location: root, resolveLocation: (r) => r });
  } catch (error) {
    throw new UsageError(messages.badRef(ref, (error as Error).message), a.command);
  }
  let bestMetric = a.bestMetric;
  if (bestMetric === undefined && parsed.type === "best") {
    // No --metric: rank by the metric the run recorded, as `prune` and `list` do.
    const reader = await openReader(root, a.command, undefined);
    try {
      bestMetric = (await effectivePolicy(reader, (await reader.list()).checkpoints, {})).bestMetric;
    } finally {
      await reader.close();
    }
  }
  const store = await openReader(root, a.command, bestMetric);
  try {
    const notFound = () => new NbresumeError(CheckpointErrorCode.NOT_FOUND, storeMessages.notFound(ref, root, storeMessages.noCheckpoints()), { where: root });
    if (parsed.type === "path") {
      const where = isUrlLocation(ref)
        ? ref.replace(/\/+$/, "")
        : !ref.includes("/") && parseCheckpointDirName(ref)
          ? joinLocation(root, ref)
          : path.resolve(ref);
      const { checkpoints } = await store.list();
      const info = checkpoints.find((c) => c.path === where);
      // A name that is no checkpoint here and no directory anywhere names nothing: not a damaged checkpoint.
      const exists = info !== undefined || (!isUrlLocation(where) && (await fsp.lstat(where).catch(() => undefined)) !== undefined);
      if (!exists) throw new NbresumeError(CheckpointErrorCode.NOT_FOUND, messages.refNamesNothing(ref, root), { where: root });
      if (!a.verified) return { store, path: where, name: path.basename(where), info, skipped: [] };
    }
    if (a.load === true) {
      const loaded = await store.resolveAndLoad(ref);
      if (!loaded) throw notFound();
      return { store, path: loaded.path, name: loaded.name, info: undefined, skipped: loaded.skipped, loaded };
    }
    const hit = await store.resolve(ref);
    if (!hit) throw notFound();
    return { store, path: hit.path, name: hit.name, info: hit, skipped: hit.skipped };
  } catch (error) {
    await store.close();
    if (error instanceof TypeError) throw new UsageError(messages.badRef(ref, error.message), a.command);
    throw error;
  }
}

/**
 * The checkpoint a command's CKPT (its first positional) names, with its --ref and --metric
 * (CHECKPOINT_OPTIONS): every command that takes CKPT reads the three the same way.
 */
export async function openCkptArgument(
  context: Pick<CommandContext, "positionals" | "options">,
  command: string,
  how: Pick<CheckpointArgs, "verified" | "load">,
): Promise<OpenedCheckpoint> {
  return openCheckpoint({
    arg: context.positionals[0] as string,
    ref: stringOption(context.options, "ref"),
    bestMetric: parseMetricOption(stringOption(context.options, "metric"), command),
    ...how,
    command,
  });
}

/** --ref and --metric, for commands that take CKPT. */
export const CHECKPOINT_OPTIONS: readonly OptionSpec[] = [
  { name: "ref", type: "string", value: "REF", description: "when CKPT is a checkpoint root: auto (default), latest, best, best-previous, step:N or a name" },
  { name: "metric", type: "string", value: "NAME:min|max", description: "the metric that ranks 'best' (default: what the run recorded)" },
];

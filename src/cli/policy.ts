/**
 * The retention policy and best metric a command applies: each setting from its flag if given,
 * else from what the run recorded in the newest checkpoint's state.json (`keep` and `bestMetric`,
 * the same shapes as CheckpointStore.open's options, at the top level or under `config`), else the
 * store's default. The store itself keeps no policy on disk, so a run that wants `prune` to follow
 * its policy records it in state.
 */
import { isPlainObject } from "../checkpoint/manifest.js";
import { readRecordedRun } from "../checkpoint/recorded-run.js";
import { DEFAULT_RETENTION, type ResolvedRetentionPolicy, resolveRetentionPolicy } from "../checkpoint/retention.js";
import type { BestMetric, CheckpointInfo, CheckpointReader, RetentionPolicy } from "../checkpoint/store.js";

export type SettingSource = "flag" | "run" | "default";

export interface EffectivePolicy {
  keep: ResolvedRetentionPolicy;
  bestMetric: BestMetric | undefined;
  /** Where each setting came from. */
  sources: { rolling: SettingSource; emergency: SettingSource; best: SettingSource; epoch: SettingSource; bestMetric: SettingSource };
  /** The checkpoint whose state.json recorded a policy, if one did. */
  recordedIn: string | undefined;
}

export interface PolicyFlags {
  rolling?: number | undefined;
  emergency?: number | undefined;
  best?: number | undefined;
  /** Keep epoch checkpoints whose epoch is a multiple of this. */
  epochEvery?: number | undefined;
  bestMetric?: BestMetric | undefined;
}

interface Recorded {
  keep: RetentionPolicy;
  bestMetric: BestMetric | undefined;
}

/**
 * `keep` / `bestMetric` from a checkpoint's state.json, at the top level or in `config` (where the
 * run's config records bestMetric); the run's `best` ({ metric, mode }) names the metric too — as
 * readRecordedRun reads them for every reader. Undefined when it records neither validly.
 */
async function readRecorded(store: CheckpointReader, checkpoint: CheckpointInfo): Promise<Recorded | undefined> {
  let state: unknown;
  try {
    // Through the store, on any storage: verified against its manifest, never through a symlink or a FIFO.
    state = (await store.readState(checkpoint)).state;
  } catch {
    return undefined; // unreadable state: the deep check reports it; here it just records nothing
  }
  if (!isPlainObject(state)) return undefined;
  const { keep = {}, bestMetric } = readRecordedRun(state);
  if (Object.keys(keep).length === 0 && !bestMetric) return undefined;
  return { keep, bestMetric };
}

/** Flags first, then what the newest checkpoint recorded, then the store's defaults. */
export async function effectivePolicy(store: CheckpointReader, checkpoints: readonly CheckpointInfo[], flags: PolicyFlags): Promise<EffectivePolicy> {
  // Only the newest: an older checkpoint may record a policy the run has since changed.
  const newest = checkpoints.at(-1);
  const recorded = newest ? await readRecorded(store, newest) : undefined;
  const recordedIn = recorded ? newest?.name : undefined;
  const pick = <K extends "rolling" | "emergency" | "best">(key: K): [number, SettingSource] => {
    const flag = flags[key];
    if (flag !== undefined) return [flag, "flag"];
    const run = recorded?.keep[key];
    if (run !== undefined) return [run, "run"];
    return [DEFAULT_RETENTION[key], "default"];
  };
  const [rolling, rollingSource] = pick("rolling");
  const [emergency, emergencySource] = pick("emergency");
  const [best, bestSource] = pick("best");
  const epoch = flags.epochEvery !== undefined ? { every: flags.epochEvery } : recorded?.keep.epoch;
  const bestMetric = flags.bestMetric ?? recorded?.bestMetric;
  return {
    keep: resolveRetentionPolicy({ rolling, emergency, best, epoch: epoch ?? DEFAULT_RETENTION.epoch }),
    bestMetric,
    sources: {
      rolling: rollingSource,
      emergency: emergencySource,
      best: bestSource,
      epoch: flags.epochEvery !== undefined ? "flag" : epoch !== undefined ? "run" : "default",
      bestMetric: flags.bestMetric ? "flag" : recorded?.bestMetric ? "run" : "default",
    },
    recordedIn,
  };
}

/**
 * Retention as policies over one stored copy: each checkpoint is kept if any policy wants it
 * and deleted only if none does. Pure planning — no I/O — so it is tested exhaustively.
 *
 *   rolling    keep the newest N rolling checkpoints
 *   emergency  keep the newest N emergency checkpoints (own pool: interrupts never push out rolling)
 *   best       keep the top K of every checkpoint with a finite value of the best metric
 *   epoch      keep every epoch checkpoint, or those whose epoch is a multiple of `every`
 *   final      always kept
 *   protected  the newest verified checkpoint, the current best, and what `latest` names
 */
import { badArgument, retentionReason } from "./messages.js";
import type { BestMetric, CheckpointKind, PlannedCheckpoint, RetentionPlan, RetentionPolicy } from "./store.js";

export interface ResolvedRetentionPolicy {
  rolling: number;
  emergency: number;
  best: number;
  epoch: "all" | { every: number };
}

export const DEFAULT_RETENTION: ResolvedRetentionPolicy = { rolling: 5, emergency: 5, best: 3, epoch: "all" };

/** Fill defaults; TypeError/RangeError for a malformed policy. */
export function resolveRetentionPolicy(policy: RetentionPolicy | undefined): ResolvedRetentionPolicy {
  const p = { ...DEFAULT_RETENTION, ...(policy ?? {}) };
  for (const key of ["rolling", "emergency", "best"] as const) {
    const n = p[key];
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(badArgument.keepCount(key, n));
    }
  }
  if (p.epoch !== "all") {
    const every = typeof p.epoch === "object" && p.epoch !== null ? p.epoch.every : undefined;
    if (typeof every !== "number" || !Number.isSafeInteger(every) || every < 1) {
      throw new RangeError(badArgument.keepEpoch(p.epoch));
    }
  }
  return p;
}

/** What planning needs to know about one checkpoint. */
export interface RetentionCandidate {
  name: string;
  path: string;
  kind: CheckpointKind;
  step: number;
  /** Undefined when the manifest is unreadable. */
  epoch: number | undefined;
  created: string | undefined;
  /** Value of the best metric; undefined or non-finite → not ranked. */
  metric: number | undefined;
}

export interface RetentionInput {
  checkpoints: readonly RetentionCandidate[];
  policy: ResolvedRetentionPolicy;
  bestMetric: BestMetric | undefined;
  /** Name `latest` points at, if any. */
  latest: string | undefined;
  /** Name of the newest checkpoint that verified, if known. */
  newestVerified: string | undefined;
}

/** Newest first: higher step, then later created time, then name (a total order). */
export function compareNewestFirst(
  a: { step: number; created: string | undefined; name: string },
  b: { step: number; created: string | undefined; name: string },
): number {
  if (a.step !== b.step) return b.step - a.step;
  const ca = a.created ?? "";
  const cb = b.created ?? "";
  if (ca !== cb) return ca < cb ? 1 : -1;
  return a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
}

/** Checkpoints with a finite metric value, best first; ties go to the newer checkpoint. */
export function rankByMetric<T extends { metric: number | undefined; step: number; created: string | undefined; name: string }>(
  checkpoints: readonly T[],
  mode: "min" | "max",
): T[] {
  return checkpoints
    .filter((c) => c.metric !== undefined && Number.isFinite(c.metric))
    .sort((a, b) => {
      const d = (a.metric as number) - (b.metric as number);
      if (d !== 0) return mode === "min" ? d : -d;
      return compareNewestFirst(a, b);
    });
}

export function planRetention(input: RetentionInput): RetentionPlan {
  const { policy, bestMetric } = input;
  const reasons = new Map<string, string[]>();
  const dropReasons = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, name: string, reason: string): void => {
    const list = map.get(name);
    if (list) list.push(reason);
    else map.set(name, [reason]);
  };
  const newest = [...input.checkpoints].sort(compareNewestFirst);

  for (const pool of ["rolling", "emergency"] as const) {
    const members = newest.filter((c) => c.kind === pool);
    members.forEach((c, i) => {
      if (i < policy[pool]) add(reasons, c.name, retentionReason.inPool(pool, i + 1, members.length, policy[pool]));
      else add(dropReasons, c.name, retentionReason.outOfPool(pool, i + 1, policy[pool]));
    });
  }
  for (const c of newest) {
    if (c.kind === "final") add(reasons, c.name, retentionReason.final());
    if (c.kind !== "epoch") continue;
    if (policy.epoch === "all") add(reasons, c.name, retentionReason.everyEpoch());
    else if (c.epoch !== undefined && c.epoch % policy.epoch.every === 0) add(reasons, c.name, retentionReason.epochMultiple(c.epoch, policy.epoch.every));
    else add(dropReasons, c.name, retentionReason.epochNotMultiple(c.epoch, policy.epoch.every));
  }
  if (bestMetric) {
    const ranked = rankByMetric(input.checkpoints, bestMetric.mode);
    ranked.forEach((c, i) => {
      const value = c.metric as number;
      if (i === 0) add(reasons, c.name, retentionReason.currentBest(bestMetric.name, value));
      if (i < policy.best) add(reasons, c.name, retentionReason.inBest(i + 1, bestMetric.mode, bestMetric.name, value, policy.best));
      else add(dropReasons, c.name, retentionReason.outOfBest(i + 1, bestMetric.name, value, policy.best));
    });
  }
  if (input.newestVerified !== undefined) add(reasons, input.newestVerified, retentionReason.newestVerified());
  if (input.latest !== undefined) add(reasons, input.latest, retentionReason.latest());

  const plan: RetentionPlan = { keep: [], delete: [] };
  for (const c of newest) {
    const entry = { name: c.name, path: c.path, kind: c.kind, step: c.step };
    const keep = reasons.get(c.name);
    if (keep) plan.keep.push({ ...entry, reasons: keep });
    else plan.delete.push({ ...entry, reasons: dropReasons.get(c.name) ?? [retentionReason.noPolicy(c.kind)] } satisfies PlannedCheckpoint);
  }
  return plan;
}

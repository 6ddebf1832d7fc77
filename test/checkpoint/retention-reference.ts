/**
 * The reference model of retention: what the policies promise, written as plainly as possible
 * and independently of src/checkpoint/retention.ts.
 */
import type { ResolvedRetentionPolicy, RetentionCandidate } from "../../src/checkpoint/retention.js";
import type { BestMetric } from "../../src/checkpoint/store.js";

export function referenceKeep(
  all: readonly RetentionCandidate[],
  policy: ResolvedRetentionPolicy,
  best: BestMetric | undefined,
  latest: string | undefined,
  newestVerified: string | undefined,
): Set<string> {
  const newerFirst = (a: RetentionCandidate, b: RetentionCandidate): number =>
    b.step - a.step ||
    ((b.created ?? "") > (a.created ?? "") ? 1 : (b.created ?? "") < (a.created ?? "") ? -1 : 0) ||
    (b.name > a.name ? 1 : b.name < a.name ? -1 : 0);
  const keep = new Set<string>();
  for (const kind of ["rolling", "emergency"] as const) {
    all
      .filter((c) => c.kind === kind)
      .sort(newerFirst)
      .slice(0, policy[kind])
      .forEach((c) => keep.add(c.name));
  }
  for (const c of all) {
    if (c.kind === "final") keep.add(c.name);
    if (c.kind === "epoch" && (policy.epoch === "all" || (c.epoch !== undefined && c.epoch % policy.epoch.every === 0))) keep.add(c.name);
  }
  if (best) {
    const ranked = all
      .filter((c) => typeof c.metric === "number" && Number.isFinite(c.metric))
      .sort((a, b) => (best.mode === "min" ? (a.metric as number) - (b.metric as number) : (b.metric as number) - (a.metric as number)) || newerFirst(a, b));
    ranked.slice(0, Math.max(1, policy.best)).forEach((c) => keep.add(c.name)); // the current best is always kept
  }
  if (latest !== undefined) keep.add(latest);
  if (newestVerified !== undefined) keep.add(newestVerified);
  return keep;
}

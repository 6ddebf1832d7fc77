/**
 * Which checkpoints a ref may name, in the order to try them. The store verifies candidates in
 * this order and answers with the first that verifies. Explicit refs (a step, a path) never
 * silently become a checkpoint of another step.
 *
 *   auto           every checkpoint, newest first (any kind: an emergency save can be newest)
 *   latest         what the `latest` pointer names, then the rest newest first
 *   best           ranked by the best metric, best first
 *   best-previous  the same ranking from the runner-up on
 *   step:N         the checkpoints of step N (one per kind), newest first
 *   a path         that directory (or a checkpoint name inside the store), nothing else
 */
import { ownValue } from "./manifest.js";
import { compareNewestFirst, rankByMetric } from "./retention.js";
import { badArgument, checkpointMessages as messages } from "./messages.js";
import type { BestMetric, CheckpointInfo } from "./store.js";

export type ParsedRef = { type: "auto" } | { type: "latest" } | { type: "best"; rank: 1 | 2 } | { type: "step"; step: number } | { type: "path"; path: string };

const STEP_REF = /^step:(\d+)$/;

/** Where path-like refs point: a checkpoint name means the one in this store (CheckpointStorage.resolveLocation). */
export interface RefLocations {
  readonly location: string;
  resolveLocation(ref: string): string | undefined;
}

/**
 * Parse a ref; TypeError for something that looks like a step ref but is not one, or a location
 * the store's storage cannot read (an s3:// URL for a local store, another bucket).
 */
export function parseRef(ref: string, store: RefLocations): ParsedRef {
  if (typeof ref !== "string" || ref.length === 0) throw new TypeError(badArgument.ref(ref));
  if (ref === "auto") return { type: "auto" };
  if (ref === "latest") return { type: "latest" };
  if (ref === "best") return { type: "best", rank: 1 };
  if (ref === "best-previous") return { type: "best", rank: 2 };
  if (ref.startsWith("step:")) {
    const m = STEP_REF.exec(ref);
    const step = m ? Number(m[1]) : Number.NaN;
    if (!Number.isSafeInteger(step)) throw new TypeError(badArgument.stepRef(ref));
    return { type: "step", step };
  }
  const location = store.resolveLocation(ref);
  if (location === undefined) throw new TypeError(badArgument.refElsewhere(ref, store.location));
  return { type: "path", path: location };
}

export interface CandidateOrder {
  candidates: CheckpointInfo[];
  /** Why there are no candidates, for the not-found message. */
  emptyReason: string;
}

function bestMetricValue(c: CheckpointInfo, metric: BestMetric): number | undefined {
  return c.manifest ? (ownValue(c.manifest.metrics, metric.name) as number | undefined) : undefined;
}

/**
 * Candidates for `ref` among `checkpoints` (everything listed). `latest` is the name the pointer
 * holds, if it holds a valid one.
 */
export function candidatesFor(
  ref: Exclude<ParsedRef, { type: "path" }>,
  checkpoints: readonly CheckpointInfo[],
  options: { latest: string | undefined; bestMetric: BestMetric | undefined },
): CandidateOrder {
  const newest = [...checkpoints].sort(compareNewestFirst);
  switch (ref.type) {
    case "auto":
      return { candidates: newest, emptyReason: messages.noCheckpoints() };
    case "latest": {
      const target = newest.find((c) => c.name === options.latest);
      const rest = newest.filter((c) => c !== target);
      return {
        candidates: target ? [target, ...rest] : rest,
        emptyReason: messages.noCheckpoints(),
      };
    }
    case "best": {
      const metric = options.bestMetric;
      if (!metric) return { candidates: [], emptyReason: messages.noBestMetric() };
      const ranked = rankByMetric(
        newest.map((c) => ({ info: c, name: c.name, step: c.step, created: c.created, metric: bestMetricValue(c, metric) })),
        metric.mode,
      ).map((r) => r.info);
      return {
        candidates: ranked.slice(ref.rank - 1),
        emptyReason: messages.noBestCandidate(metric.name, ref.rank),
      };
    }
    case "step":
      return {
        candidates: newest.filter((c) => c.step === ref.step),
        // Another kind saved at the same step holds the same training state, so it may stand in.
        emptyReason: messages.noStep(ref.step),
      };
  }
}

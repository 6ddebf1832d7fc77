/**
 * Retention applied: the plan (retention.ts, pure) over what the store holds, and the deletes it
 * calls for. The plan after a save reads the store's index (a cost that does not grow with the
 * number of checkpoints); an explicit prune() and a dry run list afresh. The newest checkpoint that
 * verifies is never deleted: each is deep-checked once per store, not once per save.
 */
import type { CheckpointIndex } from "./checkpoint-index.js";
import { errnoCode } from "./durable-fs.js";
import type { Listing } from "./listing.js";
import { ownValue } from "./manifest.js";
import { checkpointMessages as messages } from "./messages.js";
import { compareNewestFirst, planRetention } from "./retention.js";
import type { StoreContext } from "./store-context.js";
import type { CheckpointInfo, RetentionPlan } from "./store.js";
import { verifyCheckpoint } from "./verify.js";

export interface PruneOutcome {
  plan: RetentionPlan;
  deleted: string[];
  warnings: string[];
}

export class Pruner {
  constructor(
    private readonly ctx: StoreContext,
    private readonly listing: Listing,
    private readonly index: CheckpointIndex,
  ) {}

  /** The retention plan; `verified` names a checkpoint known to verify (the one just saved). */
  async plan(verified: string | undefined, source: "index" | "fresh"): Promise<RetentionPlan> {
    const checkpoints = source === "index" ? await this.index.current() : (await this.listing.list()).checkpoints;
    const newestVerified = await this.newestVerified(checkpoints, verified);
    const metric = this.ctx.bestMetric;
    return planRetention({
      checkpoints: checkpoints.map((c) => ({
        name: c.name,
        path: c.path,
        kind: c.kind,
        step: c.step,
        epoch: c.epoch,
        created: c.created,
        metric: metric && c.manifest ? (ownValue(c.manifest.metrics, metric.name) as number | undefined) : undefined,
      })),
      policy: this.ctx.policy,
      bestMetric: metric,
      latest: await this.listing.readLatest().then(
        (l) => l.name,
        () => undefined,
      ),
      newestVerified,
    });
  }

  private async newestVerified(checkpoints: CheckpointInfo[], known: string | undefined): Promise<string | undefined> {
    for (const c of [...checkpoints].sort(compareNewestFirst)) {
      if (c.name === known) return c.name;
      if (!c.manifest || c.problems?.some((p) => p.kind === "special")) continue;
      const ok = this.index.verifiedState(c.name) ?? (await verifyCheckpoint(this.ctx.storage.files(c.path))).problems.length === 0;
      this.index.noteVerified(c.name, ok);
      if (ok) return c.name;
    }
    return undefined;
  }

  /** Delete what the plan drops; a crash mid-delete leaves a leftover, never a half-deleted checkpoint. */
  async pruneNow(verified: string | undefined, source: "index" | "fresh"): Promise<PruneOutcome> {
    let plan: RetentionPlan;
    try {
      plan = await this.plan(verified, source);
    } catch (error) {
      return { plan: { keep: [], delete: [] }, deleted: [], warnings: [messages.pruneFailed(this.ctx.dir, errnoCode(error) ?? String(error))] };
    }
    const names = plan.delete.map((c) => c.name);
    let outcome: Awaited<ReturnType<StoreContext["storage"]["remove"]>>;
    try {
      outcome = await this.ctx.storage.remove(names);
    } catch (error) {
      outcome = { removed: [], failed: [{ name: this.ctx.dir, detail: errnoCode(error) ?? (error instanceof Error ? error.message : String(error)) }] };
    }
    for (const name of names) this.index.forget(name);
    return { plan, deleted: outcome.removed, warnings: outcome.failed.map((f) => messages.pruneFailed(f.name, f.detail)) };
  }
}

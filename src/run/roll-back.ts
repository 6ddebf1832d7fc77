/**
 * Roll a run back to an earlier checkpoint (e.g. "best-previous" when the newest best looks
 * wrong, or `step:N`): every checkpoint newer than it is moved, one atomic rename each, into
 * `DIR/rolled-back-<time>/` with their sample grids and a copy of the run's record (metrics.jsonl,
 * loss.png, summary.json), as a run going back does it (setAside), and `latest` is pointed at the
 * target. The next train() resumes from the target, and nothing is deleted: delete the folder to
 * free the space, or move a checkpoint back to undo. Holds the directory's writer lock (or a
 * bucket prefix's lease) while it works, so it never runs beside a training run; in a bucket only
 * the checkpoints move (each copied, then out of the listing, then removed).
 */
import { compareNewestFirst } from "../checkpoint/retention.js";
import { CheckpointStore } from "../checkpoint/store-factory.js";
import type { BestMetric, CheckpointInfo, CheckpointRef } from "../checkpoint/store.js";
import { runMessages as msg } from "./messages.js";
import { setAside } from "./set-aside.js";

export interface RollBackOptions {
  /** What "best" / "best-previous" rank by (default val_loss, lower is better, as resumable()). */
  readonly bestMetric?: BestMetric;
}

export interface RollBackResult {
  /** The checkpoint the run now resumes from. */
  readonly target: CheckpointInfo;
  /** Names of the checkpoints moved aside, newest first. */
  readonly moved: readonly string[];
  /** Where they went; undefined when nothing was newer. */
  readonly aside: string | undefined;
  readonly bytes: number;
  /** One line saying what happened. */
  readonly message: string;
}

export async function rollBack(dir: string, ref: CheckpointRef, options: RollBackOptions = {}): Promise<RollBackResult> {
  if (typeof ref !== "string" || ref.length === 0)
    throw new TypeError(msg.badOption("rollBack ref", 'a checkpoint ref such as "best-previous" or "step:400"', ref));
  const store = await CheckpointStore.open(dir, { bestMetric: options.bestMetric ?? { name: "val_loss", mode: "min" }, autoPrune: false });
  try {
    const target = await store.resolve(ref);
    if (target === undefined) throw new RangeError(msg.badOption("rollBack ref", "a ref that names a checkpoint", ref));
    const { checkpoints } = await store.list();
    const newer = checkpoints.filter((c) => c.name !== target.name && compareNewestFirst(c, target) < 0).sort(compareNewestFirst);
    // The same move as a run that goes back: the grids of those steps go along, the record is copied.
    const aside = newer.length > 0 ? (await setAside(store, newer, false)).folder : undefined;
    await store.pointLatestAt(target.name);
    const bytes = newer.reduce((sum, c) => sum + c.bytes, 0);
    return {
      target,
      moved: newer.map((c) => c.name),
      aside,
      bytes,
      message: msg.rolledBack(target.name, target.step, newer.length, aside, bytes),
    };
  } finally {
    await store.close();
  }
}

/**
 * Moving checkpoints aside instead of deleting or overwriting them. Used when a run goes back to
 * an older checkpoint than the newest (resumeFrom "best", "step:N", or past damaged or diverged
 * ones) and when it starts over (onExisting "fresh", resumeFrom "none", load without schedule):
 *
 *   DIR/rolled-back-<time>/            the same layout as the run directory, so
 *     ckpt-step-…/                     `nbresume list DIR/rolled-back-<time>` lists them and
 *     samples-step-….png, latest       `resumeFrom: "DIR/rolled-back-<time>/ckpt-step-…"` resumes one
 *     metrics.jsonl, loss.png, …       the record of that line of training, as it was
 *
 * The folder name is the one rollBack() uses: one kind of folder to look in and to delete. The
 * run directory keeps the line the run continues on, so the store's listing, `latest` and the
 * retention policy only ever see one line (nothing in the folder is pruned). Each move is one
 * rename; the directory is fsync'd after them.
 *
 * A run in a bucket (s3://bucket/prefix): the store moves the checkpoints (each copied under
 * PREFIX/rolled-back-<time>/, then out of the listing, then removed). Pictures and the run's
 * record are blobs, which have no folder to go to there: they are not moved (the new line's
 * pictures replace the old ones and prune the rest as it saves; a fresh start keeps the old
 * metrics.jsonl as metrics-before-<time>.jsonl, metrics-log.ts), and `recordMoved` says so. The
 * bucket's `latest` keeps naming a checkpoint set aside until the new line's first save.
 */
import { copyFile, mkdir, readdir, rename, rm } from "node:fs/promises";
import * as path from "node:path";
import { fsyncDir, nodeFs, replaceFileAtomically } from "../checkpoint/durable-fs.js";
import { LATEST_FILE } from "../checkpoint/naming.js";
import { compareNewestFirst } from "../checkpoint/retention.js";
import { isUrlLocation } from "../checkpoint/storage/location.js";
import type { CheckpointInfo, CheckpointStore } from "../checkpoint/store.js";
import { METRICS_FILE } from "./metrics-log.js";
import { listRunPictures } from "./run-files.js";
import { LOSS_CHART_FILE, SUMMARY_FILE } from "./run-record.js";

export const SET_ASIDE_PREFIX = "rolled-back-";

export interface SetAside {
  /** The folder they went to. */
  readonly folder: string;
  /** Checkpoint names moved, newest first. */
  readonly moved: readonly string[];
  readonly bytes: number;
  /** Whether the pictures and the run's record went (or were copied) with them: false in a bucket. */
  readonly recordMoved: boolean;
}

function stamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

async function newFolder(dir: string): Promise<string> {
  const base = path.join(dir, `${SET_ASIDE_PREFIX}${stamp(new Date())}`);
  for (let n = 1; ; n++) {
    const folder = n === 1 ? base : `${base}-${n}`;
    try {
      await mkdir(folder);
      return folder;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

/** A folder name no set-aside folder of the bucket run has yet. */
async function newBucketFolder(store: CheckpointStore): Promise<string> {
  const taken = new Set((await store.du()).setAside.names);
  const base = `${SET_ASIDE_PREFIX}${stamp(new Date())}`;
  for (let n = 1; ; n++) {
    const folder = n === 1 ? base : `${base}-${n}`;
    if (!taken.has(folder)) return folder;
  }
}

/**
 * Moves `checkpoints` (and the sample grids of their steps) into a new DIR/rolled-back-<time>/.
 * `all`: the whole run is set aside (a fresh start): every picture, `latest` and the run's record
 * go too; otherwise the record is copied (the run directory's is cut back to the resumed step).
 * In a bucket only the checkpoints move (see the top of this file).
 */
export async function setAside(store: CheckpointStore, checkpoints: readonly CheckpointInfo[], all: boolean): Promise<SetAside> {
  const dir = store.dir;
  const ordered = [...checkpoints].sort(compareNewestFirst);
  const bytes = ordered.reduce((s, c) => s + c.bytes, 0);
  if (isUrlLocation(dir)) {
    const folder =
      ordered.length === 0
        ? undefined
        : await store.setAside(
            ordered.map((c) => c.name),
            await newBucketFolder(store),
          );
    return { folder: folder ?? dir, moved: ordered.map((c) => c.name), bytes, recordMoved: false };
  }
  const folder = await newFolder(dir);
  for (const c of ordered) await rename(c.path, path.join(folder, c.name));
  const steps = new Set(ordered.map((c) => c.step));
  for (const p of await listRunPictures(dir)) {
    if (all || (p.kind === "samples" && steps.has(p.step))) await rename(path.join(dir, p.name), path.join(folder, p.name));
  }
  const record = [METRICS_FILE, LOSS_CHART_FILE, SUMMARY_FILE];
  const present = new Set(await readdir(dir));
  for (const name of record) {
    if (!present.has(name)) continue;
    if (all) await rename(path.join(dir, name), path.join(folder, name));
    else await copyFile(path.join(dir, name), path.join(folder, name));
  }
  if (all && present.has(LATEST_FILE)) await rm(path.join(dir, LATEST_FILE), { force: true });
  const newest = ordered[0];
  if (newest !== undefined) await replaceFileAtomically(nodeFs, path.join(folder, LATEST_FILE), new TextEncoder().encode(`${newest.name}\n`));
  await fsyncDir(nodeFs, folder);
  await fsyncDir(nodeFs, dir);
  return { folder, moved: ordered.map((c) => c.name), bytes, recordMoved: true };
}

/**
 * What a checkpoint directory holds, found without following anything: its size as the listing
 * shows it, and every entry that has no business in a checkpoint. A checkpoint is a directory of
 * regular files; a checkpoint that is a symlink (to `/`, to another run), or holds a symlink, FIFO,
 * socket or device, is reported as such and never followed: sizing one that held a symlink to `..`
 * once recursed without end and grew to gigabytes. The walk uses lstat only, goes at most
 * MAX_SCAN_DEPTH levels down and looks at MAX_SCAN_ENTRIES entries at most.
 */
import * as path from "node:path";
import { type DurableFs, errnoCode, kindOf } from "./durable-fs.js";
import { checkpointMessages as messages } from "./messages.js";
import type { CheckpointProblem } from "./checkpoint-problem.js";

/** A checkpoint holds four or five files; these bounds only stop a hostile directory. */
export const MAX_SCAN_DEPTH = 4;
export const MAX_SCAN_ENTRIES = 4096;

export interface DirScan {
  /** Bytes of the regular files found (a special entry counts as 0). */
  bytes: number;
  /** The directory itself is not a directory, or holds special entries, or too many. */
  problems: CheckpointProblem[];
}

/**
 * Scan `dir`; undefined when it does not exist (removed meanwhile). `file` in each problem is the
 * entry's path inside the checkpoint, or the checkpoint's own name for the directory itself.
 */
export async function scanCheckpointDir(fs: DurableFs, dir: string): Promise<DirScan | undefined> {
  const name = path.basename(dir);
  let top;
  try {
    top = await fs.lstat(dir);
  } catch (error) {
    if (errnoCode(error) === "ENOENT" || errnoCode(error) === "ENOTDIR") return undefined;
    return { bytes: 0, problems: [{ file: name, kind: "unreadable", message: messages.fileUnreadable(name, errnoCode(error) ?? String(error)) }] };
  }
  if (!top.isDirectory()) {
    const kind = kindOf(top) ?? "a regular file";
    return { bytes: top.isFile() ? top.size : 0, problems: [{ file: name, kind: "special", message: messages.checkpointSpecial(name, kind) }] };
  }
  const problems: CheckpointProblem[] = [];
  let bytes = 0;
  let seen = 0;
  // Breadth first; each level's entries are stat'ed at once (a checkpoint is one level of files).
  let level: string[] = [""];
  for (let depth = 1; level.length > 0 && depth <= MAX_SCAN_DEPTH; depth++) {
    const next: string[] = [];
    for (const rel of level) {
      let names: string[];
      try {
        names = await fs.readdir(path.join(dir, rel));
      } catch (error) {
        if (rel === "" && errnoCode(error) === "ENOENT") return undefined;
        continue; // a subdirectory that vanished or cannot be read: nothing of ours is in it
      }
      if (seen + names.length > MAX_SCAN_ENTRIES) {
        problems.push({ file: name, kind: "invalid", message: messages.tooManyEntries(MAX_SCAN_ENTRIES) });
        return { bytes, problems };
      }
      seen += names.length;
      const stats = await Promise.all(names.map((n) => fs.lstat(path.join(dir, rel, n)).catch(() => undefined)));
      names.forEach((n, i) => {
        const st = stats[i];
        if (st === undefined) return; // removed meanwhile
        const entry = rel === "" ? n : path.join(rel, n);
        if (st.isFile()) bytes += st.size;
        else if (st.isDirectory()) next.push(entry);
        else problems.push({ file: entry, kind: "special", message: messages.holdsSpecial(entry, kindOf(st) ?? "a special file") });
      });
    }
    level = next;
  }
  return { bytes, problems };
}

/** Whether a problem says the checkpoint is, or holds, something that must never be followed. */
export function isSpecialProblem(problem: CheckpointProblem): boolean {
  return problem.kind === "special";
}

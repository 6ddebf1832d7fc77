/**
 * Free-space check before a save: the exact bytes the checkpoint will take (every file's size
 * rounded up to whole blocks, plus one block per file and one for the directory for metadata)
 * against what statfs says an unprivileged writer may still use, minus a margin.
 */
import { NbresumeError } from "../errors.js";
import type { DurableFs } from "./durable-fs.js";
import { CheckpointErrorCode, checkpointMessages as messages } from "./messages.js";

export const DEFAULT_DISK_MARGIN = 16 * 1024 * 1024;

export interface FreeSpace {
  available: number;
  blockSize: number;
}

export async function freeSpace(fs: DurableFs, dir: string): Promise<FreeSpace> {
  const s = await fs.statfs(dir);
  return { available: s.bavail * s.bsize, blockSize: s.bsize };
}

/** Bytes on disk for files of these sizes in one new directory. */
export function bytesOnDisk(fileSizes: readonly number[], blockSize: number): number {
  const block = Math.max(1, blockSize);
  let total = block; // the directory itself
  for (const size of fileSizes) total += Math.ceil(size / block) * block + block;
  return total;
}

/** Throws CHECKPOINT_DISK_FULL (needed vs available) when the checkpoint would not fit with the margin. */
export async function ensureFreeSpace(fs: DurableFs, dir: string, fileSizes: readonly number[], margin: number): Promise<void> {
  const { available, blockSize } = await freeSpace(fs, dir);
  const checkpointBytes = bytesOnDisk(fileSizes, blockSize);
  const needed = checkpointBytes + margin;
  if (needed > available) {
    throw new NbresumeError(CheckpointErrorCode.DISK_FULL, messages.diskFull(dir, needed, checkpointBytes, margin, available), { where: dir });
  }
}

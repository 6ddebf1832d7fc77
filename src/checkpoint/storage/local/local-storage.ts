/**
 * Checkpoints in a local directory, the default storage:
 *
 *   DIR/ckpt-step-00012000-rolling/{model,optimizer,…}.safetensors, state.json, manifest.json
 *   DIR/latest        the name of the checkpoint committed last
 *   DIR/.lock/        the writer lock (lock.ts)
 *   DIR/.tmp-…        an uncommitted write or delete, removed on the next writable open
 *   DIR/<blob>        previews, DIR/graphs/<sha256>.onnx (local-blobs.ts)
 *
 * Durability (durable-fs.ts): a file is durable after its fsync, a name after its directory's.
 */
import * as path from "node:path";
import { DEFAULT_DISK_MARGIN, ensureFreeSpace } from "../../disk-space.js";
import { scanCheckpointDir } from "../../dir-scan.js";
import { type DurableFs, errnoCode, fsyncDir, nodeFs, replaceFileAtomically, tempName } from "../../durable-fs.js";
import { readLatestPointer } from "../../latest-pointer.js";
import { DirectoryLock, assertLockCurrent } from "../../lock.js";
import { LATEST_FILE, isTempName, parseCheckpointDirName } from "../../naming.js";
import { isUrlLocation } from "../location.js";
import type { CheckpointFiles, CheckpointStorage, FilesystemUsage, OtherEntries, StagedCheckpoint, StorageSpec, WriterLease } from "../storage.js";
import { LocalBlobs } from "./local-blobs.js";
import { LocalCheckpointFiles } from "./local-files.js";
import { LocalStagedCheckpoint } from "./local-staged.js";

export const LOCAL_SCHEME = "file";

/** Create `dir` (and its parents) unless it exists. */
async function ensureDirectory(fs: DurableFs, dir: string): Promise<void> {
  if ((await fs.stat(dir).catch(() => undefined))?.isDirectory()) return;
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (error) {
    if (errnoCode(error) !== "ENOENT") throw error;
    // A recursive mkdir under a read-only parent reports ENOENT: creating the first missing
    // directory with the plain call says why (EROFS, EACCES).
    let missing = dir;
    while (
      path.dirname(missing) !== missing &&
      !(await fs.stat(path.dirname(missing)).then(
        () => true,
        () => false,
      ))
    )
      missing = path.dirname(missing);
    await fs.mkdir(missing);
    throw error;
  }
}

export class LocalStorage implements CheckpointStorage {
  readonly location: string;
  readonly spec: StorageSpec;
  readonly blobs: LocalBlobs;

  /** `fs`: node:fs in production; tests inject faults through it, the writer thread passes its synchronous one. */
  constructor(
    dir: string,
    private readonly fs: DurableFs = nodeFs,
  ) {
    this.location = path.resolve(dir);
    this.spec = { scheme: LOCAL_SCHEME, location: this.location, settings: {} };
    this.blobs = new LocalBlobs(fs, this.location);
  }

  checkpointLocation(name: string): string {
    return path.join(this.location, name);
  }

  resolveLocation(ref: string): string | undefined {
    if (isUrlLocation(ref)) return undefined;
    // A bare checkpoint name means the one in this store; anything else is a path.
    if (!ref.includes("/") && !ref.includes(path.sep) && parseCheckpointDirName(ref)) return path.join(this.location, ref);
    return path.resolve(ref);
  }

  relative(location: string): string {
    return path.relative(this.location, location) || location;
  }

  files(location: string): CheckpointFiles {
    return new LocalCheckpointFiles(this.fs, location);
  }

  async exists(): Promise<boolean> {
    return (await this.fs.stat(this.location).catch(() => undefined))?.isDirectory() === true;
  }

  prepareForWriting(): Promise<void> {
    return ensureDirectory(this.fs, this.location);
  }

  async acquireLease(): Promise<WriterLease> {
    const lock = await DirectoryLock.acquire(this.fs, this.location);
    return { token: lock.holder.token, assertHeld: () => lock.assertHeld(), release: () => lock.release() };
  }

  leaseFor(token: string): WriterLease {
    return { token, assertHeld: () => assertLockCurrent(this.fs, this.location, token), release: async () => undefined };
  }

  async removeLeftovers(): Promise<void> {
    const names = await this.fs.readdir(this.location);
    let removed = 0;
    for (const name of names) {
      if (!isTempName(name)) continue;
      // rm never follows a symlink: a `.tmp-…` link to elsewhere is removed, not what it names.
      await this.fs.rm(path.join(this.location, name));
      removed++;
    }
    if (removed > 0) await fsyncDir(this.fs, this.location);
  }

  async listNames(): Promise<string[]> {
    return (await this.fs.readdir(this.location)).filter((name) => parseCheckpointDirName(name) !== undefined);
  }

  hasCheckpoint(name: string): Promise<boolean> {
    return this.fs.lstat(path.join(this.location, name)).then(
      () => true,
      () => false,
    );
  }

  async leftovers(): Promise<OtherEntries> {
    return this.entries((name) => isTempName(name));
  }

  async setAside(prefix: string): Promise<OtherEntries> {
    return this.entries((name) => name.startsWith(prefix));
  }

  /** Names in the root that `pick` chooses, each sized by a bounded walk that follows nothing. */
  private async entries(pick: (name: string) => boolean): Promise<OtherEntries> {
    const out: OtherEntries = { names: [], bytes: 0 };
    for (const name of await this.fs.readdir(this.location)) {
      if (!pick(name)) continue;
      out.names.push(name);
      out.bytes += (await scanCheckpointDir(this.fs, path.join(this.location, name)))?.bytes ?? 0;
    }
    return out;
  }

  readLatest(): Promise<{ name: string } | { problem: string }> {
    return readLatestPointer(this.fs, this.location);
  }

  writeLatest(name: string): Promise<void> {
    return replaceFileAtomically(this.fs, path.join(this.location, LATEST_FILE), new TextEncoder().encode(`${name}\n`));
  }

  stage(name: string, options: { replacing: boolean }): StagedCheckpoint {
    return LocalStagedCheckpoint.create(this.fs, this.location, name, options.replacing);
  }

  async remove(names: readonly string[]): Promise<{ removed: string[]; failed: { name: string; detail: string }[] }> {
    const doomed: { name: string; temp: string }[] = [];
    const failed: { name: string; detail: string }[] = [];
    for (const name of names) {
      // Renamed to a temp name first: one atomic step out of the listing.
      const temp = path.join(this.location, tempName(`deleting-${name}`));
      try {
        await this.fs.rename(path.join(this.location, name), temp);
        doomed.push({ name, temp });
      } catch (error) {
        // Already gone (removed by hand): nothing to remove.
        if (errnoCode(error) !== "ENOENT") failed.push({ name, detail: errnoCode(error) ?? String(error) });
      }
    }
    if (doomed.length > 0) {
      await fsyncDir(this.fs, this.location).catch(() => undefined);
      for (const d of doomed) await this.fs.rm(d.temp).catch(() => undefined); // leftovers go on the next open
    }
    return { removed: doomed.map((d) => d.name), failed };
  }

  async moveAside(names: readonly string[], folder: string): Promise<string> {
    const aside = path.join(this.location, folder);
    await this.fs.mkdir(aside, { recursive: true });
    for (const name of names) await this.fs.rename(path.join(this.location, name), path.join(aside, name));
    await fsyncDir(this.fs, this.location);
    return aside;
  }

  ensureFreeSpace(fileSizes: readonly number[], margin: number = DEFAULT_DISK_MARGIN): Promise<void> {
    return ensureFreeSpace(this.fs, this.location, fileSizes, margin);
  }

  async filesystem(): Promise<FilesystemUsage | undefined> {
    const s = await this.fs.statfs(this.location);
    if (s.blocks === undefined || s.bfree === undefined) return undefined;
    const size = s.blocks * s.bsize;
    return { size, used: size - s.bfree * s.bsize, available: s.bavail * s.bsize };
  }

  async close(): Promise<void> {}
}

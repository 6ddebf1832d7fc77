/**
 * Blobs beside the checkpoints in a run directory: DIR/<name> or DIR/<folder>/<name>. Written
 * atomically (temp file beside it → write → [fsync] → rename → [fsync the directory]), read only
 * as regular files (never through a symlink, never a FIFO), listed without following anything.
 */
import * as path from "node:path";
import { type DurableFs, CREATE_EXCLUSIVE, errnoCode, fsyncDir, readSmallFile, tempName, writeFully } from "../../durable-fs.js";
import { assertBlobName, isBlobFolder, isBlobName } from "../blob-names.js";
import type { BlobInfo, BlobStore } from "../storage.js";

export class LocalBlobs implements BlobStore {
  constructor(
    private readonly fs: DurableFs,
    readonly location: string,
  ) {}

  locate(name: string): string {
    return path.join(this.location, name);
  }

  async put(name: string, bytes: Uint8Array, options: { durable?: boolean } = {}): Promise<string> {
    assertBlobName(name);
    const file = this.locate(name);
    const dir = path.dirname(file);
    if (dir !== this.location) await this.fs.mkdir(dir, { recursive: true });
    const temp = path.join(dir, tempName(path.basename(file)));
    try {
      const handle = await this.fs.open(temp, CREATE_EXCLUSIVE, 0o644);
      try {
        await writeFully(handle, bytes, 0);
        if (options.durable === true) await handle.sync();
      } finally {
        await handle.close();
      }
      await this.fs.rename(temp, file);
    } catch (error) {
      await this.fs.rm(temp).catch(() => undefined);
      throw error;
    }
    if (options.durable === true) await fsyncDir(this.fs, dir);
    return file;
  }

  get(name: string, maxBytes: number): Promise<Uint8Array> {
    assertBlobName(name);
    return readSmallFile(this.fs, this.locate(name), maxBytes);
  }

  async list(folder?: string): Promise<BlobInfo[]> {
    if (folder !== undefined && !isBlobFolder(folder)) throw new TypeError(`blob folder ${JSON.stringify(folder)} is not allowed.`);
    const dir = folder === undefined ? this.location : path.join(this.location, folder);
    let names: string[];
    try {
      names = await this.fs.readdir(dir);
    } catch (error) {
      if (errnoCode(error) === "ENOENT" || errnoCode(error) === "ENOTDIR") return [];
      throw error;
    }
    const out: BlobInfo[] = [];
    for (const entry of names) {
      const name = folder === undefined ? entry : `${folder}/${entry}`;
      if (!isBlobName(name)) continue;
      const stat = await this.fs.lstat(path.join(dir, entry)).catch(() => undefined);
      if (stat?.isFile()) out.push({ name, bytes: stat.size });
    }
    return out;
  }

  async delete(name: string): Promise<void> {
    assertBlobName(name);
    try {
      await this.fs.unlink(this.locate(name));
    } catch (error) {
      if (errnoCode(error) !== "ENOENT") throw error;
    }
  }
}

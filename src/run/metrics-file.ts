/**
 * Where a run's metrics.jsonl lives, behind the three things the log does to it: read it whole,
 * append lines durably, cut it back. A run directory's file is appended to and fsync'd (one write
 * per checkpoint, whatever the file's length). Object storage (a run in s3://bucket/prefix) has no
 * append: the file is a blob of the run's storage, kept in memory and written whole, in one PUT,
 * each time (atomic: a reader sees the old lines or the new; ~150 bytes a step, so a 100,000-step
 * run re-sends ~15 MB per checkpoint). A directory whose store mirrors to a bucket sends the whole
 * file through the store's blobs after each append too, so the record reaches the bucket with the
 * checkpoints and a new machine copies it down with them (mirror-record.ts).
 */
import { open, readFile, rename, stat } from "node:fs/promises";
import * as path from "node:path";
import { fsyncDir, nodeFs } from "../checkpoint/durable-fs.js";
import { isUrlLocation, joinLocation } from "../checkpoint/storage/location.js";
import { withRunBlobs } from "./run-files.js";

/** A metrics.jsonl larger than this is refused when read from object storage (whole, into memory). */
const MAX_BLOB_BYTES = 512 * 1024 * 1024;

export interface MetricsFile {
  /** Its path or URL (messages). */
  readonly location: string;
  /** The whole file, or undefined when there is none. */
  read(): Promise<Uint8Array | undefined>;
  /** `text` added at the end, durably. */
  append(text: string): Promise<void>;
  /** Cut back to its first `length` bytes, durably. */
  truncate(length: number): Promise<void>;
  /** Renamed to `name` beside it (kept, not overwritten); returns where it went. */
  keepAs(name: string): Promise<string>;
}

/** Run directories whose open store has a mirror (the resume planner says so at each train()). */
const mirrored = new Set<string>();

/** Whether the store open on `dir` mirrors to a bucket: then metrics.jsonl is sent there after each change. */
export function setMirrored(dir: string, on: boolean): void {
  if (on) mirrored.add(dir);
  else mirrored.delete(dir);
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === "ENOENT";
}

class LocalMetricsFile implements MetricsFile {
  constructor(
    private readonly dir: string,
    readonly location: string,
  ) {}

  read(): Promise<Uint8Array | undefined> {
    return readFile(this.location).catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
  }

  async append(text: string): Promise<void> {
    const created = !(await stat(this.location).then(
      () => true,
      () => false,
    ));
    const handle = await open(this.location, "a");
    try {
      await handle.write(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (created) await fsyncDir(nodeFs, this.dir);
    await this.mirror();
  }

  async truncate(length: number): Promise<void> {
    const handle = await open(this.location, "r+");
    try {
      await handle.truncate(length);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.mirror();
  }

  async keepAs(name: string): Promise<string> {
    const aside = path.join(this.dir, name);
    await rename(this.location, aside);
    await fsyncDir(nodeFs, this.dir);
    return aside;
  }

  /**
   * The whole file through the open store's blobs (mirrored ones: written in place, queued for the
   * bucket). Never throws: the append it follows is done and durable, and throwing would have the
   * caller append the same lines again; the bucket's copy catches up with the next change.
   */
  private async mirror(): Promise<void> {
    if (!mirrored.has(this.dir)) return;
    try {
      const bytes = await readFile(this.location);
      await withRunBlobs(this.dir, (blobs) => blobs.put(path.basename(this.location), bytes, { durable: true }));
    } catch {
      // See above.
    }
  }
}

/** A blob of the run's storage (through the open store's blobs while there is one: run-files.ts). */
class BlobMetricsFile implements MetricsFile {
  readonly location: string;
  /** What the object holds (as last read or written). */
  private bytes: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly dir: string,
    private readonly name: string,
  ) {
    this.location = joinLocation(dir, name);
  }

  async read(): Promise<Uint8Array | undefined> {
    const bytes = await withRunBlobs(this.dir, (blobs) => blobs.get(this.name, MAX_BLOB_BYTES)).catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
    this.bytes = bytes ?? new Uint8Array(0);
    return bytes;
  }

  async append(text: string): Promise<void> {
    const added = new TextEncoder().encode(text);
    const next = new Uint8Array(this.bytes.length + added.length);
    next.set(this.bytes);
    next.set(added, this.bytes.length);
    await this.write(next);
  }

  truncate(length: number): Promise<void> {
    return this.write(this.bytes.slice(0, length));
  }

  async keepAs(name: string): Promise<string> {
    const bytes = (await this.read()) ?? new Uint8Array(0);
    const where = await withRunBlobs(this.dir, async (blobs) => {
      const at = await blobs.put(name, bytes, { durable: true });
      await blobs.delete(this.name);
      return at;
    });
    this.bytes = new Uint8Array(0);
    return where;
  }

  private async write(bytes: Uint8Array): Promise<void> {
    await withRunBlobs(this.dir, (blobs) => blobs.put(this.name, bytes, { durable: true }));
    this.bytes = bytes;
  }
}

/** The file `name` of the run in `dir` (a directory, or s3://bucket/prefix). */
export function metricsFileAt(dir: string, name: string): MetricsFile {
  return isUrlLocation(dir) ? new BlobMetricsFile(dir, name) : new LocalMetricsFile(dir, path.join(dir, name));
}

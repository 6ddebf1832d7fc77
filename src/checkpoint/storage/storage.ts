/**
 * The storage seam: everything the checkpoint store needs from the place checkpoints live
 * (interface only). local/ implements it on a POSIX directory, s3/ on S3-compatible object
 * storage; registry.ts picks one by the location's scheme, and others can be registered there.
 *
 * What every storage guarantees:
 * - A checkpoint is a set of files under its name, committed by one atomic step (a directory:
 *   the rename of its temp directory; object storage: its manifest written last, after every
 *   other object). A reader sees it whole or not at all; listNames() never names a half-written one.
 * - Everything read back is untrusted: nothing followed through a symlink, nothing but plain files
 *   read, small files size-capped before they are read, every listing bounded.
 * - One writer at a time, through a lease (a lock directory, or a lease object with an expiry).
 * - Small blobs beside the checkpoints (the model's graphs, preview pictures) by name.
 */
import type { DirScan } from "../dir-scan.js";
import type { ByteSink } from "../safetensors/safetensors.js";

/** A file of a checkpoint opened for reading (positioned reads, like a file handle). */
export interface OpenedFile {
  readonly size: number;
  /** Far fewer bytes stored than its size says (a sparse file): hash it before trusting its header. */
  readonly sparse: boolean;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/**
 * One checkpoint's files as its storage serves them for reading. Errors carry `code: "ENOENT"`
 * for a missing file, NotRegularFileError for anything but a plain file, FileTooLargeError from
 * readSmall (durable-fs.ts), so every storage's failures read the same to the store.
 */
export interface CheckpointFiles {
  /** The checkpoint's name (the last segment of its location). */
  readonly name: string;
  /** Its path or URL, as CheckpointInfo.path shows it. */
  readonly location: string;
  /** Whether anything is there at all (a symlink counts, as itself). */
  exists(): Promise<boolean>;
  /** Its size and what has no business in a checkpoint, without reading any file; undefined when it does not exist. */
  scan(): Promise<DirScan | undefined>;
  /** The names of its entries (inspecting a checkpoint whose manifest is unreadable). */
  names(): Promise<string[]>;
  /** A small file read whole, refused (FileTooLargeError) when larger than `maxBytes`. */
  readSmall(file: string, maxBytes: number): Promise<Uint8Array>;
  open(file: string): Promise<OpenedFile>;
}

export interface EndedFile {
  bytes: number;
  hash: string;
  /** Settles once the file is durable (fsync'd and closed; uploaded); rejects if that fails. */
  durable: Promise<void>;
}

/** A new file of a checkpoint being written, hashed on the way. */
export interface FileSink extends ByteSink {
  end(): Promise<EndedFile>;
  /** After a failure: release what it holds (the caller aborts the staged checkpoint). */
  abort(): Promise<void>;
}

/** A checkpoint being written: invisible until commit() returns. */
export interface StagedCheckpoint {
  /** The location being worked on (a file of it, the staging place, the checkpoint), for the message of a failure. */
  readonly current: string;
  /** Make room to write (a temp directory; object storage: take a damaged one of the same name out of the listing). */
  begin(): Promise<void>;
  createFile(file: string): Promise<FileSink>;
  /** A small file written whole and made durable. */
  writeFile(file: string, bytes: Uint8Array): Promise<void>;
  /**
   * Write the manifest and commit: every file written before is durable first, then
   * `assertHeld` (the writer lease still ours?), then the one atomic step. A damaged checkpoint of
   * the same name is replaced (and put back if the commit fails before its atomic step).
   */
  commit(manifest: Uint8Array, assertHeld: () => Promise<void>): Promise<void>;
  /** The atomic step happened: the checkpoint exists, whatever fails after it. */
  readonly committed: boolean;
  /** Remove what was written (never after the commit); whether it could be removed now. */
  abort(): Promise<boolean>;
}

/** The single-writer lease of a storage, held from acquireLease() until release(). */
export interface WriterLease {
  /** Random per acquisition; the background writer checks the lease by it. */
  readonly token: string;
  /** Throws CHECKPOINT_LOCK_LOST unless the lease is still ours. */
  assertHeld(): Promise<void>;
  /** Never rejects. */
  release(): Promise<unknown>;
}

export interface FreeSpace {
  /** Bytes an unprivileged writer may still use. */
  available: number;
  blockSize: number;
}

/** A filesystem's figures as df counts them: used = size − free, Use% = used / (used + available). */
export interface FilesystemUsage {
  size: number;
  used: number;
  available: number;
}

export interface BlobInfo {
  /** "samples-step-00001200.png", "graphs/<sha256>.onnx". */
  name: string;
  bytes: number;
}

/**
 * Small files beside the checkpoints, by name: a name is one plain segment, or a folder and a
 * segment (`graphs/<sha256>.onnx`); never a checkpoint's name, `latest`, or hidden. Content-
 * addressed names are the caller's business (the store does not hash them).
 */
export interface BlobStore {
  /** The path or URL blobs live under (the run directory). */
  readonly location: string;
  /** Its path or URL. */
  locate(name: string): string;
  /** Written atomically (readers see the old bytes or the new); `durable`: fsync'd before it returns. Returns its location. */
  put(name: string, bytes: Uint8Array, options?: { durable?: boolean }): Promise<string>;
  /** Read whole, a plain file only; `code: "ENOENT"` when missing, FileTooLargeError over `maxBytes`. */
  get(name: string, maxBytes: number): Promise<Uint8Array>;
  /** Blobs at the top level, or in `folder`; anything not a plain file is left out. */
  list(folder?: string): Promise<BlobInfo[]>;
  /** No error if it is already gone. */
  delete(name: string): Promise<void>;
}

/** What crosses to a writer thread to open the same storage there (plain data). */
export interface StorageSpec {
  scheme: string;
  location: string;
  /** Backend settings (plain JSON). */
  settings: Record<string, unknown>;
}

/** Entries of a run directory that are not checkpoints, for `du`. */
export interface OtherEntries {
  names: string[];
  bytes: number;
}

export interface CheckpointStorage {
  /** The absolute directory, or `s3://bucket/prefix`: CheckpointListing.dir. */
  readonly location: string;
  readonly spec: StorageSpec;
  readonly blobs: BlobStore;
  /** The path or URL of the checkpoint `name`. */
  checkpointLocation(name: string): string;
  /**
   * The location a path-like ref names (a checkpoint name means the one here), or undefined when
   * this storage cannot read it (an s3:// ref on a local store, another bucket).
   */
  resolveLocation(ref: string): string | undefined;
  /** A location relative to this storage's root, for messages. */
  relative(location: string): string;
  /** The files of the checkpoint at `location` (inside this storage, or a local directory anywhere for local storage). */
  files(location: string): CheckpointFiles;

  /** Whether the root exists (a read-only open needs it). */
  exists(): Promise<boolean>;
  /** Create the root if needed (a writable open). */
  prepareForWriting(): Promise<void>;
  /** Take the writer lease; CHECKPOINT_LOCKED naming the holder when another writer has it. */
  acquireLease(): Promise<WriterLease>;
  /** Check, never take, the lease `token` names (what the background writer thread does). */
  leaseFor(token: string): WriterLease;
  /** Remove what interrupted writes left (a writable open; the lease is held). */
  removeLeftovers(): Promise<void>;

  /** The names of committed checkpoints (their validity is checked by reading them). */
  listNames(): Promise<string[]>;
  /** Whether anything is stored under `name`. */
  hasCheckpoint(name: string): Promise<boolean>;
  /** Uncommitted leftovers of interrupted saves. */
  leftovers(): Promise<OtherEntries>;
  /** Checkpoints set aside (rolled back), in folders named `prefix…`. */
  setAside(prefix: string): Promise<OtherEntries>;

  readLatest(): Promise<{ name: string } | { problem: string }>;
  writeLatest(name: string): Promise<void>;

  /** A new checkpoint `name`, nothing written yet; `replacing`: a damaged one of that name is there. */
  stage(name: string, options: { replacing: boolean }): StagedCheckpoint;
  /**
   * Delete checkpoints, each out of the listing in one atomic step first (a crash mid-delete leaves
   * a leftover, never a half-deleted checkpoint). Names already gone are skipped.
   */
  remove(names: readonly string[]): Promise<{ removed: string[]; failed: { name: string; detail: string }[] }>;
  /** Move checkpoints out of the listing into `folder` (kept, not deleted); returns the folder's location. */
  moveAside(names: readonly string[], folder: string): Promise<string>;

  /** Throws CHECKPOINT_DISK_FULL when files of these sizes plus `margin` would not fit (no-op where there is no such limit). */
  ensureFreeSpace(fileSizes: readonly number[], margin: number): Promise<void>;
  /** The filesystem's figures, where there is one. */
  filesystem(): Promise<FilesystemUsage | undefined>;
  /** Release connections (idempotent). */
  close(): Promise<void>;
}

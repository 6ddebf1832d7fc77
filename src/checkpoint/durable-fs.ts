/**
 * The file-system operations the store uses, behind a small interface so tests can inject the
 * faults a real disk produces only rarely (a rename, write or fsync that fails), the way
 * write-file-atomic's tests do. Production code always uses `nodeFs`.
 *
 * Durability rules we follow (POSIX/Linux): data is durable after fsync of the file; a new name
 * (create, rename, unlink) is durable after fsync of the directory that holds it.
 *
 * A run directory is untrusted too: anything in it may be a symlink (to `/`, to `/etc/passwd`, to
 * a user's files), a FIFO (open(2) of one for reading blocks until a writer comes, forever), a
 * device or a huge sparse file. So files are read through openRegularFile(): O_NOFOLLOW (a symlink
 * fails with ELOOP instead of being followed), O_NONBLOCK (a FIFO opens at once instead of
 * blocking) and an fstat of what was opened, which must be a regular file before a byte is read.
 */
import { constants as fsConstants, promises as fsp } from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";

/** What fstat of an open file tells the store. */
export interface HandleStatLike {
  size: number;
  isFile(): boolean;
  /** 512-byte blocks allocated: far fewer than the size says means a sparse file (mostly holes). */
  blocks?: number;
}

/** The subset of fs/promises' FileHandle the store uses. */
export interface FileHandleLike {
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  sync(): Promise<void>;
  stat(): Promise<HandleStatLike>;
  close(): Promise<void>;
}

export interface StatLike {
  size: number;
  isDirectory(): boolean;
  isFile(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  mtimeMs: number;
}

export interface StatFsLike {
  /** Free blocks available to an unprivileged user. */
  bavail: number;
  /** Block size in bytes. */
  bsize: number;
  /** Blocks in all (df's size), when known. */
  blocks?: number;
  /** Free blocks, the root-reserved ones included (df's used is blocks − bfree), when known. */
  bfree?: number;
}

/** The file-system operations of the store, as fs/promises names them. */
export interface DurableFs {
  open(file: string, flags: string | number, mode?: number): Promise<FileHandleLike>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, newPath: string): Promise<void>;
  unlink(file: string): Promise<void>;
  /** Create a directory; with `recursive`, its parents too and no error if it exists. */
  mkdir(dir: string, options?: { recursive?: boolean }): Promise<void>;
  /** Remove a file or a directory tree; no error if it is already gone. */
  rm(target: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  readFile(file: string): Promise<Uint8Array>;
  stat(target: string): Promise<StatLike>;
  /** As stat, but of a symlink itself (never follows it). */
  lstat(target: string): Promise<StatLike>;
  statfs(target: string): Promise<StatFsLike>;
}

export const nodeFs: DurableFs = {
  open: (file, flags, mode) => fsp.open(file, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
  link: (existing, newPath) => fsp.link(existing, newPath),
  unlink: (file) => fsp.unlink(file),
  mkdir: async (dir, options) => {
    await fsp.mkdir(dir, options);
  },
  rm: (target) => fsp.rm(target, { recursive: true, force: true }),
  readdir: (dir) => fsp.readdir(dir),
  readFile: (file) => fsp.readFile(file),
  stat: (target) => fsp.stat(target),
  lstat: (target) => fsp.lstat(target),
  statfs: (target) => fsp.statfs(target),
};

/** Flags for creating a new file that must not exist yet. */
export const CREATE_EXCLUSIVE = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL;

/** Make the names inside `dir` durable (new files, renames, unlinks). */
export async function fsyncDir(fs: DurableFs, dir: string): Promise<void> {
  const handle = await fs.open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Write all of `bytes` at `position`, looping over short writes. */
export async function writeFully(handle: FileHandleLike, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done);
    if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten} bytes`);
    done += bytesWritten;
  }
}

/** Create `file` (which must not exist), write `bytes`, fsync, close. The caller fsyncs the directory. */
export async function writeNewFileDurably(fs: DurableFs, file: string, bytes: Uint8Array): Promise<void> {
  const handle = await fs.open(file, CREATE_EXCLUSIVE, 0o644);
  try {
    await writeFully(handle, bytes, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A name for a temporary entry beside the final one: `.tmp-<label>-<pid>-<random>`. */
export function tempName(label: string): string {
  return `.tmp-${label}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/**
 * Replace a small file atomically: temp file in the same directory → write → fsync → rename over
 * the target → fsync the directory. A reader sees the old content or the new, never a mix.
 */
export async function replaceFileAtomically(fs: DurableFs, file: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, tempName(path.basename(file)));
  try {
    await writeNewFileDurably(fs, temp, bytes);
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp).catch(() => undefined);
    throw error;
  }
  await fsyncDir(fs, dir);
}

/** Flags for reading a file that may be anything: never follow a symlink, never block on a FIFO. */
export const READ_UNTRUSTED = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK;

/** What a path is when it is not what we expected, in words ("a symbolic link", "a FIFO", …). */
export type SpecialKind = "a symbolic link" | "a FIFO" | "a directory" | "a socket or device";

export function kindOf(stat: StatLike): SpecialKind | undefined {
  if (stat.isFile()) return undefined;
  if (stat.isSymbolicLink()) return "a symbolic link";
  if (stat.isFIFO()) return "a FIFO";
  if (stat.isDirectory()) return "a directory";
  return "a socket or device";
}

/** Raised instead of opening or reading something that is not a regular file; callers word it. */
export class NotRegularFileError extends Error {
  override readonly name = "NotRegularFileError";
  readonly code = "ENOTREG";
  constructor(
    readonly file: string,
    readonly kind: SpecialKind,
  ) {
    super(`${file} is ${kind}, not a regular file`);
  }
}

/**
 * Open `file` for reading only if it is a regular file (see the top of this file). Throws
 * NotRegularFileError for a symlink, FIFO, directory, socket or device, ENOENT when it is missing.
 */
export async function openRegularFile(fs: DurableFs, file: string): Promise<{ handle: FileHandleLike; stat: HandleStatLike }> {
  let handle: FileHandleLike;
  try {
    handle = await fs.open(file, READ_UNTRUSTED);
  } catch (error) {
    const code = errnoCode(error);
    // O_NOFOLLOW on a symlink: ELOOP. EISDIR/ENXIO: a directory, a socket.
    if (code === "ELOOP") throw new NotRegularFileError(file, "a symbolic link");
    if (code === "EISDIR") throw new NotRegularFileError(file, "a directory");
    if (code === "ENXIO" || code === "ENODEV" || code === "EOPNOTSUPP") throw new NotRegularFileError(file, "a socket or device");
    throw error;
  }
  let stat: HandleStatLike;
  try {
    stat = await handle.stat();
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  if (!stat.isFile()) {
    await handle.close().catch(() => undefined);
    const kind = await fs.lstat(file).then(
      (s) => kindOf(s) ?? "a socket or device",
      () => "a socket or device" as const,
    );
    throw new NotRegularFileError(file, kind);
  }
  return { handle, stat };
}

/** Read a whole small regular file, refusing one larger than `maxBytes` before reading it. */
export async function readSmallFile(fs: DurableFs, file: string, maxBytes: number): Promise<Uint8Array> {
  const { handle, stat } = await openRegularFile(fs, file);
  try {
    const { size } = stat;
    if (size > maxBytes) throw new FileTooLargeError(file, size, maxBytes);
    const bytes = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(bytes, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === size ? bytes : bytes.subarray(0, done);
  } finally {
    await handle.close();
  }
}

/** Raised by readSmallFile; callers turn it into their own message. */
export class FileTooLargeError extends Error {
  override readonly name = "FileTooLargeError";
  constructor(
    readonly file: string,
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(`${file} is ${size} bytes, more than the ${maxBytes} allowed`);
  }
}

/** The errno code of an fs error ("ENOENT", "ENOSPC", …), if it has one. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = error.code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

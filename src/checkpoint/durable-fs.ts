/**
 * The file-system operations the store uses, behind a small interface so tests can inject the
 * faults a real disk produces only rarely (a rename, write or fsync that fails), the way
 * write-file-atomic's tests do. Production code always uses `nodeFs`.
 *
 * Durability rules we follow (POSIX/Linux): data is durable after fsync of the file; a new name
 * (create, rename, unlink) is durable after fsync of the directory that holds it.
 */
import { constants as fsConstants, promises as fsp } from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";

/** The subset of fs/promises' FileHandle the store uses. */
export interface FileHandleLike {
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  sync(): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

export interface StatLike {
  size: number;
  isDirectory(): boolean;
  isFile(): boolean;
  mtimeMs: number;
}

export interface StatFsLike {
  /** Free blocks available to an unprivileged user. */
  bavail: number;
  /** Block size in bytes. */
  bsize: number;
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

/** Read a whole small file, refusing one larger than `maxBytes` before reading it. */
export async function readSmallFile(fs: DurableFs, file: string, maxBytes: number): Promise<Uint8Array> {
  const handle = await fs.open(file, fsConstants.O_RDONLY);
  try {
    const { size } = await handle.stat();
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
  constructor(readonly file: string, readonly size: number, readonly maxBytes: number) {
    super(`${file} is ${size} bytes, more than the ${maxBytes} allowed`);
  }
}

/** The errno code of an fs error ("ENOENT", "ENOSPC", …), if it has one. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

/**
 * One writer per checkpoint directory.
 *
 * The lock is a directory `DIR/.lock/` of generation files `<n>.json`, each holding
 * { pid, hostname, started, argv, token } of the process that created it. The highest n is the
 * lock's current state. The only atomic primitive we rely on is create-if-absent (link(2) of a
 * complete, fsync'd temp file, like O_EXCL but never exposing a half-written file):
 *
 *   acquire: read the highest n. Held by a live process → CHECKPOINT_LOCKED naming it.
 *            Absent, released or stale (same host, pid dead) → create n+1 (EEXIST: someone else
 *            won, start over). Then, if a file above n+1 exists, our view was stale: withdraw.
 *   release: create n+1 saying "released", remove ours.
 *
 * Two processes racing to take over a dead holder's lock both try to create the same n+1, so
 * exactly one wins; no lock file is ever replaced or removed while it can still be the highest,
 * so a slow process cannot delete a lock someone else just took. Only the holder removes older
 * generations. Stale = same hostname and the pid is gone (kill(pid, 0) → ESRCH), a zombie, or a
 * different process now (Linux start time differs): we cannot judge pids on other hosts.
 *
 * Release must work on a full disk (a notebook otherwise stays locked until the kernel restarts):
 * when the "released" record cannot be written, the holder removes its own generation file instead
 * (unlink needs no space; the lock then reads as never taken), and if even that fails, the release
 * is recorded in this process's memory so a new open here takes the lock over.
 *
 * `.lock` must be a real directory: one that is a symlink elsewhere is refused, never written
 * through, and nothing in it is removed.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { NbresumeError } from "../errors.js";
import { type DurableFs, errnoCode, fsyncDir, kindOf, readSmallFile, writeNewFileDurably } from "./durable-fs.js";
import { CheckpointErrorCode, checkpointMessages as messages } from "./messages.js";
import { LOCK_DIR } from "./naming.js";

export interface LockHolder {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  started: string;
  argv: string[];
  /** Linux process start time (clock ticks since boot), to tell a reused pid from the holder. */
  procStart?: string;
  /** Random per acquisition, so a process can tell its own lock file from an older one. */
  token: string;
  /** Set in the file that records a clean release. */
  released?: boolean;
}

export interface LockState {
  /** The current generation file, if any. */
  file: string;
  holder: LockHolder;
  /** "held" by a live process (or one on another host we cannot check), or free to take. */
  status: "held" | "released" | "stale";
}

const GENERATION = /^(\d{1,15})\.json$/;
const MAX_LOCK_FILE = 64 * 1024;
const MAX_ATTEMPTS = 50;

function lockDir(dir: string): string {
  return path.join(dir, LOCK_DIR);
}

/** Tokens of locks this process released without a record on disk (see the top of this file). */
function releasedInMemory(): Set<string> {
  const key = Symbol.for("nbresume.checkpoint.releasedLockTokens");
  const holder = globalThis as { [k: symbol]: Set<string> | undefined };
  return (holder[key] ??= new Set<string>());
}

/** Throws CHECKPOINT_LOCK_UNREADABLE when `.lock` exists but is not a real directory. */
async function assertLockDirIsDirectory(fsx: DurableFs, dir: string): Promise<boolean> {
  let stat;
  try {
    stat = await fsx.lstat(lockDir(dir));
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return false;
    throw error;
  }
  if (!stat.isDirectory()) {
    const kind = kindOf(stat) ?? "a regular file";
    throw new NbresumeError(CheckpointErrorCode.LOCK_UNREADABLE, messages.lockNotDirectory(lockDir(dir), kind), { where: lockDir(dir) });
  }
  return true;
}

/** Linux start time of a process (field 22 of /proc/<pid>/stat), and whether it is a zombie. */
function procInfo(pid: number): { start: string; zombie: boolean } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses; fields after the last ")" don't.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const state = fields[0];
    const start = fields[19];
    return start === undefined ? undefined : { start, zombie: state === "Z" || state === "X" };
  } catch {
    return undefined;
  }
}

/** This process's Linux start time (clock ticks since boot), to tell it from a later process with its pid. */
export function ownProcStart(): string | undefined {
  return procInfo(process.pid)?.start;
}

function describeSelf(token: string): LockHolder {
  const info = procInfo(process.pid);
  return {
    pid: process.pid,
    hostname: os.hostname(),
    started: new Date().toISOString(),
    argv: [...process.argv],
    ...(info ? { procStart: info.start } : {}),
    token,
  };
}

/** Whether a process on this host may still be running (a zombie or a reused pid is not). */
function isLocalProcessAlive(pid: number, procStart: string | undefined): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (errnoCode(error) === "ESRCH") return false;
    return true; // EPERM: it exists, owned by someone else
  }
  const info = procInfo(pid);
  if (info?.zombie) return false;
  if (info && procStart !== undefined && info.start !== procStart) return false; // pid reused
  return true;
}

/** Whether the lock's holder may still be running. */
export function isHolderAlive(holder: LockHolder): boolean {
  if (holder.hostname !== os.hostname()) return true; // can't see processes on other hosts
  return isLocalProcessAlive(holder.pid, holder.procStart);
}

function parseHolder(bytes: Uint8Array, file: string): LockHolder {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new NbresumeError(CheckpointErrorCode.LOCK_UNREADABLE, messages.lockUnreadable(file, "not JSON"), { where: file, cause: error });
  }
  const v = value as Partial<Record<keyof LockHolder, unknown>>;
  const ok =
    typeof value === "object" &&
    value !== null &&
    Number.isSafeInteger(v.pid) &&
    (v.pid as number) > 0 &&
    typeof v.hostname === "string" &&
    typeof v.started === "string" &&
    typeof v.token === "string" &&
    Array.isArray(v.argv) &&
    v.argv.every((a) => typeof a === "string") &&
    (v.procStart === undefined || typeof v.procStart === "string") &&
    (v.released === undefined || typeof v.released === "boolean");
  if (!ok) {
    throw new NbresumeError(CheckpointErrorCode.LOCK_UNREADABLE, messages.lockUnreadable(file, "missing or mistyped fields"), { where: file });
  }
  return value as LockHolder;
}

async function generations(fsx: DurableFs, dir: string): Promise<number[]> {
  if (!(await assertLockDirIsDirectory(fsx, dir))) return [];
  let names: string[];
  try {
    names = await fsx.readdir(lockDir(dir));
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return [];
    throw error;
  }
  const gens: number[] = [];
  for (const name of names) {
    const m = GENERATION.exec(name);
    if (m) gens.push(Number(m[1]));
  }
  return gens.sort((a, b) => b - a);
}

function genFile(dir: string, gen: number): string {
  return path.join(lockDir(dir), `${gen}.json`);
}

/** The lock's current state (no changes on disk); undefined when no lock was ever taken. */
export async function readLockState(fsx: DurableFs, dir: string): Promise<LockState | undefined> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const top = (await generations(fsx, dir))[0];
    if (top === undefined) return undefined;
    const file = genFile(dir, top);
    let bytes: Uint8Array;
    try {
      bytes = await readSmallFile(fsx, file, MAX_LOCK_FILE);
    } catch (error) {
      if (errnoCode(error) === "ENOENT") continue; // collected by a new holder meanwhile: look again
      throw error;
    }
    const holder = parseHolder(bytes, file);
    const mineReleased = holder.pid === process.pid && holder.hostname === os.hostname() && releasedInMemory().has(holder.token);
    const status = holder.released ? "released" : mineReleased || !isHolderAlive(holder) ? "stale" : "held";
    return { file, holder, status };
  }
  throw new NbresumeError(CheckpointErrorCode.LOCKED, messages.lockContended(dir), { where: dir });
}

/** Create lock file `gen` with `holder` if it does not exist; false if it does. */
async function createGeneration(fsx: DurableFs, dir: string, gen: number, holder: LockHolder): Promise<boolean> {
  const temp = path.join(lockDir(dir), `.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    await writeNewFileDurably(fsx, temp, new TextEncoder().encode(`${JSON.stringify(holder)}\n`));
    await fsx.link(temp, genFile(dir, gen));
    return true;
  } catch (error) {
    if (errnoCode(error) === "EEXIST") return false;
    throw error;
  } finally {
    await fsx.unlink(temp).catch(() => undefined);
  }
}

/**
 * Throws CHECKPOINT_LOCK_LOST unless the lock file with `token` is the directory's current one.
 * The background writer thread checks the main thread's lock this way before each commit.
 */
export async function assertLockCurrent(fsx: DurableFs, dir: string, token: string): Promise<void> {
  const state = await readLockState(fsx, dir).catch(() => undefined);
  if (state && state.holder.token === token && !state.holder.released) return;
  throw new NbresumeError(CheckpointErrorCode.LOCK_LOST, messages.lockLost(dir, state?.holder), { where: dir });
}

/** The writer lock of one directory, held from acquireLock() until release(). */
export class DirectoryLock {
  private released = false;
  private readonly onExit = (): void => this.releaseSync();

  private constructor(
    private readonly fsx: DurableFs,
    readonly dir: string,
    private readonly generation: number,
    readonly holder: LockHolder,
  ) {
    // A normal exit without close() leaves a "released" record; a kill leaves a stale one.
    process.once("exit", this.onExit);
  }

  /**
   * Take the lock of `dir` (which must exist), taking over a stale one. Throws CHECKPOINT_LOCKED
   * naming the holder when a live process (this one included) has it.
   */
  static async acquire(fsx: DurableFs, dir: string): Promise<DirectoryLock> {
    if (!(await assertLockDirIsDirectory(fsx, dir))) {
      try {
        await fsx.mkdir(lockDir(dir));
      } catch (error) {
        if (errnoCode(error) !== "EEXIST") throw error;
        await assertLockDirIsDirectory(fsx, dir); // created meanwhile: by whom, as what?
      }
    }
    const me = describeSelf(randomBytes(8).toString("hex"));
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const state = await readLockState(fsx, dir);
      if (state?.status === "held") {
        throw new NbresumeError(
          CheckpointErrorCode.LOCKED,
          messages.locked(dir, state.holder, state.holder.pid === process.pid && state.holder.hostname === os.hostname()),
          { where: dir },
        );
      }
      const top = state ? Number(GENERATION.exec(path.basename(state.file))?.[1]) : 0;
      const mine = top + 1;
      if (!(await createGeneration(fsx, dir, mine, me))) continue; // someone else took n+1: look again
      const newest = (await generations(fsx, dir))[0] ?? mine;
      if (newest > mine) {
        // Our view was stale: a newer generation existed already. Withdraw and look again.
        await fsx.unlink(genFile(dir, mine)).catch(() => undefined);
        continue;
      }
      const lock = new DirectoryLock(fsx, dir, mine, me);
      await lock.collectOlder();
      return lock;
    }
    throw new NbresumeError(CheckpointErrorCode.LOCKED, messages.lockContended(dir), { where: dir });
  }

  /** Remove older generations and temp files of dead processes (only the holder does this). */
  private async collectOlder(): Promise<void> {
    const names = await this.fsx.readdir(lockDir(this.dir));
    for (const name of names) {
      const gen = GENERATION.exec(name);
      const temp = /^\.tmp-(\d+)-/.exec(name);
      const old = gen !== null && Number(gen[1]) < this.generation;
      const deadTemp = temp !== null && !isLocalProcessAlive(Number(temp[1]), undefined);
      if (old || deadTemp) await this.fsx.unlink(path.join(lockDir(this.dir), name)).catch(() => undefined);
    }
    await fsyncDir(this.fsx, lockDir(this.dir));
  }

  /** Throws CHECKPOINT_LOCK_LOST unless this lock is still the directory's current one. */
  async assertHeld(): Promise<void> {
    await assertLockCurrent(this.fsx, this.dir, this.holder.token);
  }

  /**
   * Release the lock; never throws (see the top of this file for what happens on a full disk).
   * Returns how: "recorded" (a released record), "removed" (our file removed), or "memory".
   */
  async release(): Promise<"recorded" | "removed" | "memory" | "already"> {
    if (this.released) return "already";
    this.released = true;
    process.removeListener("exit", this.onExit);
    const record: LockHolder = { ...this.holder, released: true };
    try {
      // If n+1 exists, someone took the lock from us; leave theirs alone.
      if (await createGeneration(this.fsx, this.dir, this.generation + 1, record)) {
        await this.fsx.unlink(genFile(this.dir, this.generation)).catch(() => undefined);
      }
      return "recorded";
    } catch {
      // No room for the record (or the directory went read-only): remove our own file instead.
    }
    try {
      await this.fsx.unlink(genFile(this.dir, this.generation));
      await fsyncDir(this.fsx, lockDir(this.dir)).catch(() => undefined);
      return "removed";
    } catch {
      releasedInMemory().add(this.holder.token);
      return "memory";
    }
  }

  /** The same as release(), synchronously, for process exit. */
  private releaseSync(): void {
    if (this.released) return;
    this.released = true;
    const temp = path.join(lockDir(this.dir), `.tmp-${process.pid}-exit`);
    try {
      fs.writeFileSync(temp, `${JSON.stringify({ ...this.holder, released: true })}\n`);
      fs.linkSync(temp, genFile(this.dir, this.generation + 1));
      fs.unlinkSync(genFile(this.dir, this.generation));
    } catch {
      // A full disk: remove our own file (needs no space). Otherwise a lock whose process is gone is stale anyway.
      try {
        fs.unlinkSync(genFile(this.dir, this.generation));
      } catch {
        // best effort
      }
    } finally {
      try {
        fs.unlinkSync(temp);
      } catch {
        // already gone
      }
    }
  }
}

/**
 * A DurableFs that fails the operations a rule picks (ENOSPC on a write, EIO on an fsync, a
 * failed rename), the rest real: faults a disk produces too rarely to wait for.
 */
import { type DurableFs, type FileHandleLike, nodeFs } from "../../src/checkpoint/durable-fs.js";

export type FsOp = "open" | "write" | "sync" | "close" | "rename" | "link" | "unlink" | "mkdir" | "rm" | "readdir" | "readFile" | "stat" | "lstat" | "statfs";

/** Decide, per operation, whether to fail it: return the error to throw, or undefined to proceed. */
export type FaultRule = (op: FsOp, target: string, bytes?: number) => Error | undefined;

export function errnoError(code: string, op: string, target: string): Error {
  return Object.assign(new Error(`${code}: injected failure, ${op} '${target}'`), { code, errno: -1, syscall: op, path: target });
}

/**
 * node:fs with injected failures, the way write-file-atomic's tests fail a rename or a write
 * on demand. Only faults that a real disk produces rarely are injected; everything else is real.
 */
export function faultFs(rule: FaultRule, base: DurableFs = nodeFs): DurableFs & { calls: { op: FsOp; target: string }[] } {
  const calls: { op: FsOp; target: string }[] = [];
  const check = (op: FsOp, target: string, bytes?: number): void => {
    calls.push({ op, target });
    const error = rule(op, target, bytes);
    if (error) throw error;
  };
  const wrapHandle = (handle: FileHandleLike, target: string): FileHandleLike => ({
    write: async (buffer, offset, length, position) => {
      check("write", target, length);
      return handle.write(buffer, offset, length, position);
    },
    read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position), // reads are never faulted
    sync: async () => {
      check("sync", target);
      return handle.sync();
    },
    stat: () => handle.stat(),
    close: async () => {
      // Linux releases the descriptor even when close(2) reports an error: do the same.
      const closing = handle.close();
      check("close", target);
      return closing;
    },
  });
  return {
    calls,
    open: async (file, flags, mode) => {
      check("open", file);
      return wrapHandle(await base.open(file, flags, mode), file);
    },
    rename: async (a, b) => {
      check("rename", a);
      return base.rename(a, b);
    },
    link: async (a, b) => {
      check("link", b);
      return base.link(a, b);
    },
    unlink: async (f) => {
      check("unlink", f);
      return base.unlink(f);
    },
    mkdir: async (d, o) => {
      check("mkdir", d);
      return base.mkdir(d, o);
    },
    rm: async (t) => {
      check("rm", t);
      return base.rm(t);
    },
    readdir: async (d) => {
      check("readdir", d);
      return base.readdir(d);
    },
    readFile: async (f) => {
      check("readFile", f);
      return base.readFile(f);
    },
    stat: async (t) => {
      check("stat", t);
      return base.stat(t);
    },
    lstat: async (t) => {
      check("lstat", t);
      return base.lstat(t);
    },
    statfs: async (t) => {
      check("statfs", t);
      return base.statfs(t);
    },
  };
}

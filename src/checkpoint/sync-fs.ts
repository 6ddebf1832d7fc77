/**
 * node:fs's synchronous calls behind the DurableFs interface, for the background writer thread.
 * There, blocking is the point: each write, fsync and rename runs on the writer thread itself
 * instead of the libuv pool the training thread's own I/O shares, with no round trip per call,
 * and the writer thread's lowered priority (save-worker.ts) then covers the copying into the page
 * cache too. Never use it on a thread that must stay responsive.
 */
import * as fs from "node:fs";
import type { DurableFs, FileHandleLike } from "./durable-fs.js";

function handle(fd: number): FileHandleLike {
  let closed = false;
  return {
    write: async (buffer, offset, length, position) => ({ bytesWritten: fs.writeSync(fd, buffer, offset, length, position) }),
    read: async (buffer, offset, length, position) => ({ bytesRead: fs.readSync(fd, buffer, offset, length, position) }),
    sync: async () => fs.fsyncSync(fd),
    stat: async () => fs.fstatSync(fd),
    close: async () => {
      if (closed) return;
      closed = true;
      fs.closeSync(fd);
    },
  };
}

export const syncNodeFs: DurableFs = {
  open: async (file, flags, mode) => handle(fs.openSync(file, flags, mode)),
  rename: async (from, to) => fs.renameSync(from, to),
  link: async (existing, newPath) => fs.linkSync(existing, newPath),
  unlink: async (file) => fs.unlinkSync(file),
  mkdir: async (dir, options) => {
    fs.mkdirSync(dir, options);
  },
  rm: async (target) => fs.rmSync(target, { recursive: true, force: true }),
  readdir: async (dir) => fs.readdirSync(dir),
  readFile: async (file) => fs.readFileSync(file),
  stat: async (target) => fs.statSync(target),
  lstat: async (target) => fs.lstatSync(target),
  statfs: async (target) => fs.statfsSync(target),
};

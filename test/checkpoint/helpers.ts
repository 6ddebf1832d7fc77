/**
 * Shared by the checkpoint tests: temp dirs, tensors with known contents, a fault-injecting fs,
 * real tmpfs mounts (as root), a canary outside the run directory, and manifests rewritten by hand.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { type DurableFs, type FileHandleLike, nodeFs } from "../../src/checkpoint/durable-fs.js";
import { hashBytes } from "../../src/checkpoint/hash.js";
import { type Manifest, parseManifest, serializeManifest } from "../../src/checkpoint/manifest.js";
import type { Tensor, TensorGroup } from "../../src/tensor.js";

export async function makeTempDir(label: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `nbresume-${label}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A float32 tensor whose values are a function of `seed`, so a loaded one can be checked. */
export function patterned(seed: number, shape: readonly number[]): Tensor<"float32"> {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = seed + (i % 1024) / 1024;
  return { dtype: "float32", shape: [...shape], data };
}

export function smallGroups(seed: number): Record<string, TensorGroup> {
  return {
    model: { "w": patterned(seed, [64, 32]), "b": patterned(seed + 0.5, [32]) },
    optimizer: { "m.w": patterned(seed * 2, [64, 32]), "v.w": patterned(seed * 3, [64, 32]) },
  };
}

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

/** Mount a tmpfs of `bytes` on `dir` (`ro`: read-only). Needs root; see canMount. */
export function mountTmpfs(dir: string, bytes: number, options: { readOnly?: boolean } = {}): void {
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${bytes}${options.readOnly ? ",ro" : ""}`, "tmpfs", dir], { stdio: "pipe" });
}

/** Remount an already mounted tmpfs read-only (its files stay). */
export function remountReadOnly(dir: string): void {
  execFileSync("mount", ["-o", "remount,ro", dir], { stdio: "pipe" });
}

export function unmount(dir: string): void {
  execFileSync("umount", [dir], { stdio: "pipe" });
}

/** Whether this machine lets us mount a small tmpfs (root in CI); decided once, when the suite loads. */
export const canMount = ((): boolean => {
  if (process.env.NBRESUME_TEST_NO_MOUNT === "1") return false; // to exercise the fallback where mount works
  const probe = mkdtempSync(path.join(os.tmpdir(), "nbresume-mount-probe-"));
  try {
    mountTmpfs(probe, 1024 * 1024);
    unmount(probe);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();

/**
 * A file outside the run directory that nothing may read, change or delete: `check()` throws if
 * it is gone or changed. Symlinks in hostile run directories point at it.
 */
export async function makeCanary(label: string): Promise<{ dir: string; file: string; check(): Promise<void> }> {
  const dir = await makeTempDir(`canary-${label}`);
  const file = path.join(dir, "precious.txt");
  const content = `a user's file that nbresume must never read or delete (${label})\n`;
  await writeFile(file, content);
  const before = await stat(file);
  return {
    dir,
    file,
    async check(): Promise<void> {
      const now = await stat(file).catch(() => undefined);
      if (now === undefined) throw new Error(`the canary ${file} was deleted`);
      if ((await readFile(file, "utf8")) !== content) throw new Error(`the canary ${file} was changed`);
      // Access time is not reliable (relatime); size and mtime must not move.
      if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) throw new Error(`the canary ${file} was written to`);
    },
  };
}

/**
 * Rewrite a checkpoint's manifest.json after its files were changed by hand, so that it matches
 * them again (sizes and hashes, checksum, canonical form): `change` may edit metrics or entries.
 */
export async function forgeManifest(checkpoint: string, change: (m: Manifest) => void = () => undefined): Promise<void> {
  const file = path.join(checkpoint, "manifest.json");
  const manifest = parseManifest(await readFile(file));
  for (const name of Object.keys(manifest.files)) {
    const bytes = await readFile(path.join(checkpoint, name)).catch(() => undefined);
    if (bytes !== undefined) manifest.files[name] = { bytes: bytes.byteLength, hash: hashBytes(bytes) };
  }
  change(manifest);
  await writeFile(file, serializeManifest(manifest));
}

/** Resolve with `promise`, or reject naming `what` once `ms` have passed (a hang is a failure, not a stuck suite). */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

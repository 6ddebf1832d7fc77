/**
 * Graphs onnxruntime has already optimised, kept on disk by what they were made from.
 *
 * Optimising the UNet training step (level "all") takes ~150 ms of the ~170 ms a session costs
 * here; loading the optimised result with optimisation disabled takes ~65 ms and runs the same
 * kernels on the same graph, so steps are bitwise identical (test/engine/runtime/graph-cache.test.ts).
 * After a kernel restart that halves the compile (UNet small: 177 → 87 ms with building the graph).
 *
 * An entry is one file, `<key>.ortgraph`: the SHA-256 of the rest (32 bytes), then the optimised
 * ONNX model. The key is a SHA-256 over the source model's bytes and everything that shapes
 * the optimisation (onnxruntime's version, level, threads, the CPU: level "all" lays
 * convolutions out for this processor's vector width). Entries are written beside their final name
 * and renamed; one whose hash does not match is deleted and rebuilt. The directory keeps the
 * `MAX_ENTRIES` most recently used entries. Every failure here only costs the time it would have
 * saved: a cache that cannot be read or written is skipped, never an error for the caller.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { arch, cpus, homedir } from "node:os";
import { join } from "node:path";

/** Entries kept per directory; a UNet step graph is ~0.5 MB. */
export const MAX_ENTRIES = 64;

const SUFFIX = ".ortgraph";
const HASH_BYTES = 32;
const PENDING = /\.tmp(\.entry)?$/;
const STALE_PENDING_MS = 3_600_000;

/**
 * The directory for optimised graphs: `$NBRESUME_CACHE_DIR` (`off` turns the cache off), else
 * `$XDG_CACHE_HOME/nbresume/graphs`, else `~/.cache/nbresume/graphs`.
 */
export function defaultGraphCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env["NBRESUME_CACHE_DIR"];
  if (configured === "off") return undefined;
  if (configured !== undefined && configured !== "") return join(configured, "graphs");
  const base = env["XDG_CACHE_HOME"] || join(homedir(), ".cache");
  return join(base, "nbresume", "graphs");
}

/** What, besides the model's bytes, decides the optimised graph. */
export interface GraphCacheContext {
  readonly runtimeVersion: string;
  readonly optimization: string;
  readonly threads: number;
}

export class GraphCache {
  constructor(readonly dir: string) {}

  key(model: Uint8Array, context: GraphCacheContext): string {
    const hash = createHash("sha256");
    hash.update(JSON.stringify({ ...context, arch: arch(), cpu: cpus()[0]?.model ?? "unknown", format: 1 }));
    hash.update(model);
    return hash.digest("hex");
  }

  /** Where onnxruntime should write a new entry before `commit` (a name no other writer uses). */
  pendingPath(key: string): string {
    return join(this.dir, `${key}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  }

  /** The optimised model for `key`, verified; undefined when there is none or it does not verify (then it is deleted). */
  read(key: string): Uint8Array | undefined {
    const path = this.entryPath(key);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      return undefined;
    }
    const model = bytes.subarray(HASH_BYTES);
    if (bytes.length <= HASH_BYTES || !sha256(model).equals(bytes.subarray(0, HASH_BYTES))) {
      this.drop(key);
      return undefined;
    }
    try {
      const now = new Date();
      utimesSync(path, now, now); // most recently used: kept longest
    } catch {
      // A read-only cache still serves.
    }
    return model;
  }

  /** Makes what onnxruntime wrote at `pending` the entry for `key` (atomically), then trims the directory. */
  commit(key: string, pending: string): void {
    const staged = `${pending}.entry`;
    try {
      const model = readFileSync(pending);
      writeFileSync(staged, Buffer.concat([sha256(model), model]));
      renameSync(staged, this.entryPath(key));
      this.trim();
    } catch {
      // No entry: the next compile optimises again.
    } finally {
      this.discard(pending);
      this.discard(staged);
    }
  }

  /** Creates the directory; false when it cannot be (then the cache is skipped). */
  prepare(): boolean {
    try {
      mkdirSync(this.dir, { recursive: true });
      return true;
    } catch {
      return false;
    }
  }

  /** Removes what onnxruntime may have left at a pending path. */
  discard(pending: string): void {
    rmSync(pending, { force: true });
  }

  drop(key: string): void {
    rmSync(this.entryPath(key), { force: true });
  }

  private entryPath(key: string): string {
    return join(this.dir, key + SUFFIX);
  }

  /** Keeps the MAX_ENTRIES most recently used entries, and removes pending files an hour old (left by killed processes). */
  private trim(): void {
    const now = Date.now();
    const entries: { path: string; used: number }[] = [];
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      let used: number;
      try {
        used = statSync(path).mtimeMs;
      } catch {
        continue; // removed meanwhile
      }
      if (name.endsWith(SUFFIX)) entries.push({ path, used });
      else if (PENDING.test(name) && now - used > STALE_PENDING_MS) rmSync(path, { force: true });
    }
    entries.sort((a, b) => b.used - a.used);
    for (const old of entries.slice(MAX_ENTRIES)) rmSync(old.path, { force: true });
  }
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash("sha256").update(bytes).digest();
}

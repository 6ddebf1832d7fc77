/**
 * The checkpoint hash: xxHash64 (seed 0), written as "xxh64:<16 lowercase hex digits>".
 * This is the only file that imports @node-rs/xxhash; it hashes at ~20 GB/s
 * here, so hashing while writing and verifying while reading never dominates the I/O.
 */
import { Xxh64, xxh64 } from "@node-rs/xxhash";

export const HASH_ALGORITHM = "xxh64";

/** Matches a hash string as the manifest stores it. */
export const HASH_PATTERN = /^xxh64:[0-9a-f]{16}$/;

/** A streaming hash: feed bytes in file order, then read the digest once. */
export interface StreamingHash {
  update(bytes: Uint8Array): void;
  /** The digest of everything fed so far, as "xxh64:<16 hex>". */
  digest(): string;
}

function format(value: bigint): string {
  return `${HASH_ALGORITHM}:${value.toString(16).padStart(16, "0")}`;
}

export function createHash(): StreamingHash {
  const state = new Xxh64();
  return {
    update(bytes: Uint8Array): void {
      if (bytes.byteLength > 0) state.update(bytes);
    },
    digest(): string {
      return format(state.digest());
    },
  };
}

/** The hash of bytes in memory (small files: the manifest body). */
export function hashBytes(bytes: Uint8Array | string): string {
  return format(xxh64(bytes));
}

export function isHashString(value: unknown): value is string {
  return typeof value === "string" && HASH_PATTERN.test(value);
}

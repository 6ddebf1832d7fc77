/**
 * A dataset's config record: what a run stores in every checkpoint so that resuming with another
 * dataset, other columns or another split is caught like a changed model config. It describes
 * the data without holding it: name, size, each column's dtype and shape, the dataset's info
 * (for files: their name, size and hash), a hash of the contents themselves (data made in memory
 * has no file to hash), and for a subset its parent, how its rows were chosen and a hash of the rows.
 */
import { createHash, hashBytes } from "../../checkpoint/hash.js";
import type { JsonObject } from "../nn/json.js";
import type { Dataset } from "./dataset.js";

/** The rows as little-endian int32 bytes, hashed (xxh64): the same rows give the same hash everywhere. */
function rowsHash(rows: Int32Array): string {
  const bytes = new Uint8Array(rows.length * 4);
  const view = new DataView(bytes.buffer);
  rows.forEach((r, i) => view.setInt32(i * 4, r, true));
  return hashBytes(bytes);
}

/** Datasets up to this size get a hash of their contents (xxh64 runs at several GB/s: a few ms for MNIST). */
const CONTENT_HASH_LIMIT = 1024 * 1024 * 1024;

/**
 * xxh64 over every column's name, dtype, shape and bytes, in name order: data built in memory
 * (fromArrays) has no file hash in its info, and a changed value must still be caught. Null for
 * datasets over CONTENT_HASH_LIMIT (their files' hashes, in info, stand for them).
 */
function contentHash(dataset: Dataset): string | null {
  const names = Object.keys(dataset.columns).sort();
  let bytes = 0;
  for (const n of names) bytes += dataset.columns[n]!.data.byteLength;
  if (bytes > CONTENT_HASH_LIMIT) return null;
  const hash = createHash();
  const utf8 = new TextEncoder();
  for (const n of names) {
    const c = dataset.columns[n]!;
    hash.update(utf8.encode(`${n}:${c.dtype}[${c.shape.join(",")}]\n`));
    hash.update(new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength));
  }
  return hash.digest();
}

export function datasetRecord(dataset: Dataset): JsonObject {
  const columns: Record<string, JsonObject> = {};
  for (const [name, c] of Object.entries(dataset.columns)) {
    Object.defineProperty(columns, name, { value: { dtype: c.dtype, shape: [...c.shape] }, enumerable: true, writable: true, configurable: true });
  }
  const record: Record<string, JsonObject[string]> = {
    name: dataset.name,
    count: dataset.count,
    columns,
    info: dataset.info,
    contentHash: contentHash(dataset),
  };
  const r = dataset.rows;
  if (r !== undefined) record["rows"] = { parent: r.parent, parentCount: r.parentCount, how: r.how, count: r.rows.length, hash: rowsHash(r.rows) };
  return record;
}

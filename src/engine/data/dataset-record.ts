/**
 * A dataset's config record: what a run stores in every checkpoint so that resuming with another
 * dataset, other columns or another split is caught like a changed model config. It describes
 * the data without holding it: name, size, each column's dtype and shape, the dataset's info
 * (for files: their name, size and hash), and for a subset its parent, how its rows were chosen
 * and a hash of the rows themselves.
 */
import { hashBytes } from "../../checkpoint/hash.js";
import type { JsonObject } from "../nn/json.js";
import type { Dataset } from "./dataset.js";

/** The rows as little-endian int32 bytes, hashed (xxh64): the same rows give the same hash everywhere. */
function rowsHash(rows: Int32Array): string {
  const bytes = new Uint8Array(rows.length * 4);
  const view = new DataView(bytes.buffer);
  rows.forEach((r, i) => view.setInt32(i * 4, r, true));
  return hashBytes(bytes);
}

export function datasetRecord(dataset: Dataset): JsonObject {
  const columns: Record<string, JsonObject> = {};
  for (const [name, c] of Object.entries(dataset.columns)) {
    Object.defineProperty(columns, name, { value: { dtype: c.dtype, shape: [...c.shape] }, enumerable: true, writable: true, configurable: true });
  }
  const record: Record<string, JsonObject[string]> = { name: dataset.name, count: dataset.count, columns, info: dataset.info };
  const r = dataset.rows;
  if (r !== undefined) record["rows"] = { parent: r.parent, parentCount: r.parentCount, how: r.how, count: r.rows.length, hash: rowsHash(r.rows) };
  return record;
}

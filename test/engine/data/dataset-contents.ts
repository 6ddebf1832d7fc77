/** A dataset's columns as plain values and as dtypes and shapes, for deepEqual. */
import { strict as assert } from "node:assert";
import type { Dataset } from "../../../src/engine/data/dataset.js";

/** A column's values as plain numbers or bigints, for deepEqual. */
export function values(d: Dataset, column: string): (number | bigint)[] {
  const c = d.columns[column];
  assert.ok(c !== undefined, `no column ${column}`);
  return Array.from(c.data as ArrayLike<number | bigint>);
}

/** Each column's dtype and shape, for deepEqual. */
export function layout(d: Dataset): Record<string, [string, number[]]> {
  return Object.fromEntries(Object.entries(d.columns).map(([k, c]) => [k, [c.dtype, [...c.shape]]]));
}

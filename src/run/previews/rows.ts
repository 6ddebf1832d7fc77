/** Copies chosen rows of a dataset column into a tensor [rows, ...shape] (previews keep a few fixed examples). */
import type { Dataset } from "../../engine/data/dataset.js";
import { allocate, elementCount, type Tensor } from "../../tensor.js";

export function columnOf(kind: string, data: Dataset | undefined, name: string): Dataset["columns"][string] {
  const c = data === undefined || !Object.hasOwn(data.columns, name) ? undefined : data.columns[name];
  if (c === undefined)
    throw new RangeError(`Preview '${kind}': the data has no column '${name}' (columns: ${Object.keys(data?.columns ?? {}).join(", ") || "no data"}).`);
  return c;
}

export function takeRows(c: Dataset["columns"][string], rows: ArrayLike<number>): Tensor {
  const per = elementCount(c.shape);
  const out = allocate(c.dtype, rows.length * per);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    (out as Float32Array).set((c.data as Float32Array).subarray(row * per, (row + 1) * per), i * per);
  }
  return { dtype: c.dtype, shape: [rows.length, ...c.shape], data: out };
}

/** A tensor's elements as numbers (int64 through Number). */
export function numbers(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/**
 * The one consistency check of a Dataset's columns, shared by the DataLoader (which trusts nothing
 * it is given), fromArrays() and subset(): every column is a known dtype held in that dtype's
 * typed array, with a per-example shape of positive integers and exactly count × product(shape)
 * values. A dataset that passes can be batched by row copies without a bounds check.
 */
import type { Column, ColumnDType, Dataset } from "./dataset.js";
import { COLUMN_DTYPES } from "./dataset.js";
import { dataMessages as msg } from "./messages.js";

const ARRAY_CLASS: Readonly<Record<ColumnDType, { new (n: number): ArrayLike<unknown>; readonly name: string }>> = {
  float32: Float32Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
};

export function isColumnDType(value: unknown): value is ColumnDType {
  return typeof value === "string" && (COLUMN_DTYPES as readonly string[]).includes(value);
}

/** Values per example: the product of the shape (1 for a scalar column, shape []). */
export function rowLength(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** What is wrong with one column of `count` examples, or undefined. */
export function columnProblem(name: string, column: Column, count: number): string | undefined {
  const c = column as Partial<Column> | null;
  const what = `column ${JSON.stringify(name)}`;
  if (typeof c !== "object" || c === null) return `${what} is not a { dtype, shape, data } object`;
  if (!isColumnDType(c.dtype)) return `${what} has dtype ${JSON.stringify(c.dtype)}, expected one of ${COLUMN_DTYPES.join(", ")}`;
  if (!Array.isArray(c.shape) || !c.shape.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    return `${what} has shape ${JSON.stringify(c.shape)}, expected an array of positive integers ([] for one value per example)`;
  }
  const cls = ARRAY_CLASS[c.dtype];
  if (!(c.data instanceof cls)) return `${what} is ${c.dtype} but its data is not a ${cls.name}`;
  const per = rowLength(c.shape);
  if (!Number.isSafeInteger(per * count) || c.data.length !== per * count) {
    return `${what} has ${c.data.length} values, expected count × ${per} = ${count * per} (shape [${c.shape.join(", ")}] per example)`;
  }
  return undefined;
}

/** What is wrong with `dataset` as a whole, or undefined. */
export function datasetProblem(dataset: Dataset): string | undefined {
  const d = dataset as Partial<Dataset>;
  if (!Number.isSafeInteger(d.count) || d.count! < 1) return `count is ${String(d.count)}, expected a positive integer`;
  if (typeof d.columns !== "object" || d.columns === null) return "it has no columns object";
  const names = Object.keys(d.columns);
  if (names.length === 0) return "it has no columns";
  for (const name of names) {
    const problem = columnProblem(name, d.columns[name]!, d.count!);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** Throws RangeError naming `who` and the first problem of `dataset`. */
export function checkDataset(who: string, dataset: Dataset): void {
  const problem = datasetProblem(dataset);
  if (problem !== undefined) throw new RangeError(msg.badDataset(who, String(dataset?.name), problem));
}

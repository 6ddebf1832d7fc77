/**
 * A dataset from arrays already in memory: typed arrays of the column's dtype are used as they
 * are (not copied: changing them changes the dataset), anything else — plain arrays of numbers,
 * bigints for int64, typed arrays of another type — is checked value by value and converted.
 *
 *   const d = fromArrays("xor", {
 *     x: { dtype: "float32", shape: [2], data: [0, 0, 0, 1, 1, 0, 1, 1] },
 *     y: { dtype: "uint8", data: [0, 1, 1, 0] },
 *   }, { classes: 2 });
 *
 * The arguments are the caller's, so problems are TypeError/RangeError naming the column (and
 * the value): a value that is not a number, not an integer for an integer dtype, or outside the
 * dtype's range; a length that is not a whole number of examples, or differs between columns.
 */
import type { JsonObject } from "../nn/json.js";
import { isColumnDType, rowLength } from "./check-dataset.js";
import { ColumnBuilder, ValueProblem, type ValueProblemCode } from "./column-builder.js";
import type { Column, ColumnDType, Dataset } from "./dataset.js";
import { dataMessages as msg } from "./messages.js";
import { checkJsonInfo, checkName, checkShapeOption } from "./options-check.js";
import { setOwn } from "../../shared/own-record.js";

export interface ArrayColumnInput {
  readonly dtype: ColumnDType;
  /** One example's shape (default [], one value per example). */
  readonly shape?: readonly number[];
  /** count × product(shape) values, row-major (bigints allowed for int64). */
  readonly data: ArrayLike<number | bigint>;
}

const WHO = "fromArrays";

const NATIVE: Readonly<Record<ColumnDType, new (n: number) => ArrayLike<unknown>>> = {
  float32: Float32Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
};

const PROBLEM: Readonly<Record<ValueProblemCode, string>> = {
  [ValueProblem.OK]: "",
  [ValueProblem.NOT_NUMBER]: "is not a number",
  [ValueProblem.NOT_FINITE]: "is not finite",
  [ValueProblem.NOT_INTEGER]: "is not an integer",
  [ValueProblem.OUT_OF_RANGE]: "is out of range",
  [ValueProblem.INEXACT]: "is beyond ±2^53 as a number (pass a bigint)",
};

function convert(column: string, dtype: ColumnDType, data: ArrayLike<unknown>): Column["data"] {
  const builder = new ColumnBuilder(dtype, true, Math.max(1, data.length));
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    const problem = typeof v === "number" ? builder.pushNumber(v) : typeof v === "bigint" ? builder.pushBigInt(v) : ValueProblem.NOT_NUMBER;
    if (problem === ValueProblem.NOT_NUMBER) throw new TypeError(msg.badArrayValue(column, i, v, dtype, PROBLEM[problem]));
    if (problem !== ValueProblem.OK) throw new RangeError(msg.badArrayValue(column, i, v, dtype, PROBLEM[problem]));
  }
  return builder.finish();
}

/** A Dataset named `name` of `columns`, with `info` (plain JSON, recorded in checkpoints). */
export function fromArrays(name: string, columns: Readonly<Record<string, ArrayColumnInput>>, info: JsonObject = {}): Dataset {
  const datasetName = checkName(WHO, name, "");
  if (datasetName.length === 0) throw new TypeError(msg.badOption(WHO, "name", "a non-empty string", name));
  const extra = checkJsonInfo(WHO, info);
  if (typeof columns !== "object" || columns === null || Object.keys(columns).length === 0) {
    throw new TypeError(msg.badOption(WHO, "columns", "an object with at least one column", columns));
  }
  let count: number | undefined;
  let first = "";
  const out: Record<string, Column> = {};
  for (const [key, input] of Object.entries(columns)) {
    if (typeof input !== "object" || input === null) throw new TypeError(msg.badArrayColumn(key, "is not a { dtype, shape, data } object"));
    if (!isColumnDType(input.dtype))
      throw new RangeError(msg.badArrayColumn(key, `has dtype ${JSON.stringify(input.dtype)}, not one of float32, int32, int64, uint8`));
    const shape = input.shape === undefined ? [] : checkShapeOption(WHO, `columns.${key}.shape`, input.shape, undefined);
    const data = input.data as unknown;
    if (typeof data !== "object" || data === null || typeof (data as ArrayLike<unknown>).length !== "number") {
      throw new TypeError(msg.badArrayColumn(key, "has no data array"));
    }
    const values = data instanceof NATIVE[input.dtype] ? (data as Column["data"]) : convert(key, input.dtype, data as ArrayLike<unknown>);
    const per = rowLength(shape);
    const n = values.length / per;
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(
        msg.badArrayColumn(key, `has ${values.length} values, not a whole positive number of examples of shape [${shape.join(", ")}] (${per} values each)`),
      );
    }
    if (count === undefined) {
      count = n;
      first = key;
    } else if (n !== count) {
      throw new RangeError(msg.badArrayColumn(key, `has ${n} examples, but column ${JSON.stringify(first)} has ${count}`));
    }
    setOwn(out, key, { dtype: input.dtype, shape: [...shape], data: values });
  }
  return { name: datasetName, count: count!, columns: out, info: extra };
}

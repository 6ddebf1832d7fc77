/**
 * A dataset from a JSON Lines file (one JSON object per line), streamed, every value checked
 * against its column's dtype and shape.
 *
 *   {"x": [[0, 1], [2, 3]], "label": 1}
 *   {"x": [[4, 5], [6, 7]], "label": 0}
 *
 *   const d = await fromJsonl("points.jsonl", { columns: { x: "float32", label: "uint8" } });
 *   // x: float32 [2, 2] (the shape of line 1's value, required of every line), label: uint8 []
 *
 * A column reads the field of its name (or `from`); a number is one value, (nested) arrays are a
 * shaped value whose shape is declared (`shape`) or taken from the first line. int64 values beyond
 * ±2^53 may be written as strings of digits. Without `columns`, every field of the first line
 * becomes a float32 column. Blank lines are skipped. Errors name the file, the line, the column
 * and the array index (x[2][1]).
 */
import { basename } from "node:path";
import { NbresumeError } from "../../errors.js";
import type { JsonObject } from "../nn/json.js";
import { ColumnBuilder, ValueProblem, type ValueProblemCode } from "./column-builder.js";
import { sourceInfo, streamTextFile } from "./data-file.js";
import type { Column, ColumnDType, Dataset } from "./dataset.js";
import { DataErrorCode, type DataPlace, dataMessages as msg } from "./messages.js";
import { checkColumnsOption, checkJsonInfo, checkName, checkShapeOption } from "./options-check.js";
import { hasOwn, setOwn } from "../../shared/own-record.js";
import { TextLines } from "./text-lines.js";
import { valueError } from "./value-error.js";

/** One dataset column read from a JSON field. */
export interface JsonlColumn {
  /** Default "float32". */
  readonly dtype?: ColumnDType;
  /** The field it reads (default: the column's name). */
  readonly from?: string;
  /** One example's shape (default: the shape of the first line's value). */
  readonly shape?: readonly number[];
}

export interface FromJsonlOptions {
  /** The dataset's columns; a dtype alone (`label: "uint8"`) reads the field of that name. */
  readonly columns?: Readonly<Record<string, JsonlColumn | ColumnDType>>;
  /** Keep NaN (a JSON null) in float32 columns instead of failing (default false). */
  readonly allowNaN?: boolean;
  /** The dataset's name (default: the file's name), stored in data-loader cursors. */
  readonly name?: string;
  /** Added to the dataset's info. */
  readonly info?: JsonObject;
}

const WHO = "fromJsonl";

interface Plan {
  readonly name: string;
  readonly field: string;
  readonly dtype: ColumnDType;
  /** Fixed on the first line when not declared. */
  shape: readonly number[] | undefined;
  shapeFrom: string;
  readonly builder: ColumnBuilder;
}

/** What only JSON Lines knows of a column: `from` is one field name, `shape` any shape. */
function checkJsonlColumn(name: string, spec: JsonlColumn): void {
  if (spec.from !== undefined && typeof spec.from !== "string") throw new TypeError(msg.badOption(WHO, `columns.${name}.from`, "a field name", spec.from));
  if (spec.shape !== undefined) checkShapeOption(WHO, `columns.${name}.shape`, spec.shape, undefined);
}

/** The shape of a JSON value: [] for a number, [n, ...] for arrays (from their first elements). */
function shapeOf(value: unknown, at: DataPlace, path: string, dtype: ColumnDType): number[] {
  const shape: number[] = [];
  let v = value;
  let p = path;
  while (Array.isArray(v)) {
    if (v.length === 0) throw new NbresumeError(DataErrorCode.SHAPE_MISMATCH, msg.jsonEmptyArray(at, p), { where: at.file });
    shape.push(v.length);
    v = v[0];
    p += "[0]";
  }
  // A leaf's value is checked when it is read; here only its being a leaf matters.
  const leaf = typeof v === "number" || v === null || (typeof v === "string" && dtype === "int64");
  if (!leaf)
    throw new NbresumeError(DataErrorCode.VALUE_INVALID, msg.jsonWrongType({ ...at, field: p }, "a number or an array of numbers", v), { where: at.file });
  return shape;
}

function showJsonValue(v: unknown): string {
  return typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v);
}

/**
 * Reads `path` as JSON Lines into a Dataset. Throws TypeError/RangeError for bad options and
 * NbresumeError (DATA_* codes, `where` = path) for an unreadable file, a line that is not a JSON
 * object, a missing field, a value of the wrong type or shape, or one that does not fit its dtype.
 */
export async function fromJsonl(path: string, options: FromJsonlOptions = {}): Promise<Dataset> {
  if (typeof path !== "string" || path.length === 0) throw new TypeError(msg.badOption(WHO, "path", "a file path", path));
  const allowNaN = options.allowNaN ?? false;
  const name = checkName(WHO, options.name, basename(path));
  const extra = checkJsonInfo(WHO, options.info);
  const specs = checkColumnsOption(WHO, options.columns, checkJsonlColumn);

  let plans: Plan[] | undefined;
  let count = 0;

  // Paths (x[2][1]) are built only for a message: `index` holds the position being read.
  const index: number[] = [];
  const pathTo = (plan: Plan, depth: number): string =>
    plan.field +
    index
      .slice(0, depth)
      .map((i) => `[${i}]`)
      .join("");

  const leaf = (plan: Plan, v: unknown, at: DataPlace, depth: number): void => {
    let problem: ValueProblemCode;
    if (typeof v === "number") problem = plan.builder.pushNumber(v);
    else if (v === null) problem = plan.builder.pushNumber(NaN);
    else if (typeof v === "string" && plan.dtype === "int64") problem = plan.builder.pushText(v);
    else if (Array.isArray(v)) {
      throw new NbresumeError(
        DataErrorCode.SHAPE_MISMATCH,
        msg.shapeMismatch(at, pathTo(plan, depth), { values: v.length, leaf: true }, plan.shape!, plan.shapeFrom),
        { where: at.file },
      );
    } else {
      const expected = plan.dtype === "int64" ? "a number (or a string of digits)" : "a number";
      throw new NbresumeError(DataErrorCode.VALUE_INVALID, msg.jsonWrongType({ ...at, field: pathTo(plan, depth) }, expected, v), { where: at.file });
    }
    if (problem !== ValueProblem.OK) throw valueError(problem, { ...at, field: pathTo(plan, depth) }, showJsonValue(v), plan.dtype);
  };

  const walk = (plan: Plan, v: unknown, depth: number, at: DataPlace): void => {
    const shape = plan.shape!;
    if (depth === shape.length) {
      leaf(plan, v, at, depth);
      return;
    }
    if (!Array.isArray(v)) {
      if (typeof v === "number")
        throw new NbresumeError(DataErrorCode.SHAPE_MISMATCH, msg.shapeMismatch(at, pathTo(plan, depth), "number", shape, plan.shapeFrom), { where: at.file });
      throw new NbresumeError(DataErrorCode.VALUE_INVALID, msg.jsonWrongType({ ...at, field: pathTo(plan, depth) }, "an array", v), { where: at.file });
    }
    if (v.length !== shape[depth]) {
      throw new NbresumeError(
        DataErrorCode.SHAPE_MISMATCH,
        msg.shapeMismatch(at, pathTo(plan, depth), { values: v.length, leaf: false }, shape, plan.shapeFrom),
        { where: at.file },
      );
    }
    for (let i = 0; i < v.length; i++) {
      index[depth] = i;
      walk(plan, v[i], depth + 1, at);
    }
  };

  const onLine = (text: string, line: number): void => {
    if (text.trim().length === 0) return;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (e) {
      throw new NbresumeError(DataErrorCode.JSON_INVALID, msg.jsonInvalid(path, line, e instanceof Error ? e.message : String(e)), { where: path, cause: e });
    }
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      throw new NbresumeError(DataErrorCode.JSON_INVALID, msg.jsonNotObject(path, line, record), { where: path });
    }
    const object = record as Record<string, unknown>;
    if (plans === undefined) {
      const chosen = specs ?? Object.fromEntries(Object.keys(object).map((k): [string, JsonlColumn] => [k, {}]));
      plans = Object.entries(chosen).map(([column, spec]) => {
        const dtype = spec.dtype ?? "float32";
        return {
          name: column,
          field: spec.from ?? column,
          dtype,
          shape: spec.shape,
          shapeFrom: spec.shape === undefined ? `from line ${line}` : "as declared",
          builder: new ColumnBuilder(dtype, allowNaN && dtype === "float32"),
        };
      });
    }
    for (const plan of plans) {
      const at: DataPlace = { file: path, line, column: plan.name };
      if (!hasOwn(object, plan.field)) {
        throw new NbresumeError(DataErrorCode.COLUMN_MISSING, msg.jsonlFieldMissing(path, line, plan.name, plan.field, Object.keys(object)), { where: path });
      }
      const value = object[plan.field];
      plan.shape ??= shapeOf(value, at, plan.field, plan.dtype);
      walk(plan, value, 0, at);
    }
    count++;
  };

  const lines = new TextLines(onLine);
  const source = await streamTextFile(path, "jsonl", (text) => lines.push(text));
  lines.end();
  if (plans === undefined || count === 0) throw new NbresumeError(DataErrorCode.FILE_EMPTY, msg.fileEmpty(path, "no JSON lines"), { where: path });
  if (plans.length === 0) throw new NbresumeError(DataErrorCode.FILE_EMPTY, msg.fileEmpty(path, "the first line's object has no fields"), { where: path });
  const columns: Record<string, Column> = {};
  for (const p of plans) setOwn(columns, p.name, { dtype: p.dtype, shape: p.shape!, data: p.builder.finish() });
  return { name, count, columns, info: { source: sourceInfo(source), ...extra } };
}

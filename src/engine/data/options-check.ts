/**
 * Checks of the options every dataset constructor shares (a dataset name, extra `info`, a
 * column's declared shape, a file reader's `columns`), so each fails the same way:
 * TypeError/RangeError naming the function and the option.
 */
import type { JsonObject } from "../nn/json.js";
import { setOwn } from "../../shared/own-record.js";
import { isColumnDType } from "./check-dataset.js";
import type { ColumnDType } from "./dataset.js";
import { dataMessages as msg } from "./messages.js";

/** `name` if given (a non-empty string), else `fallback`. */
export function checkName(who: string, name: unknown, fallback: string): string {
  if (name === undefined) return fallback;
  if (typeof name !== "string" || name.length === 0) throw new TypeError(msg.badOption(who, "name", "a non-empty string", name));
  return name;
}

/** Whether `value` is plain JSON (finite numbers, no undefined, functions or cycles) to `depth`. */
function isJson(value: unknown, depth: number): boolean {
  if (depth > 64) return false;
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJson(v, depth + 1));
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).every((v) => isJson(v, depth + 1));
  }
  return false;
}

/** `info` if given (a plain JSON object: it is recorded in checkpoints), else {}. */
export function checkJsonInfo(who: string, info: unknown): JsonObject {
  if (info === undefined) return {};
  if (typeof info !== "object" || info === null || Array.isArray(info) || !isJson(info, 0)) {
    throw new TypeError(msg.badOption(who, "info", "a plain JSON object (finite numbers, strings, booleans, null, arrays, objects)", info));
  }
  return info as JsonObject;
}

/** A declared per-example shape: positive integers whose product is `values`. */
export function checkShapeOption(who: string, option: string, shape: unknown, values: number | undefined): readonly number[] {
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === "number" && Number.isSafeInteger(d) && d >= 1)) {
    throw new TypeError(msg.badOption(who, option, "an array of positive integers ([] for one value)", shape));
  }
  const dims = shape as number[];
  const product = dims.reduce((a, b) => a * b, 1);
  if (values !== undefined && product !== values) {
    throw new RangeError(msg.badOption(who, option, `a shape of ${values} value${values === 1 ? "" : "s"} (one per field it reads)`, `[${dims.join(", ")}]`));
  }
  return dims;
}

/**
 * A file reader's `columns` option (each entry a dtype alone or `{ dtype, from, shape }`) as
 * objects, or undefined when not given. Checks the object and each entry's dtype here, then hands
 * each entry to `checkSpec` for what only that file format knows (its `from` and `shape`): the
 * CSV and JSON Lines readers share the rest, so a bad `columns` fails the same way in both.
 */
export function checkColumnsOption<Spec extends { readonly dtype?: ColumnDType }>(
  who: string,
  columns: Readonly<Record<string, Spec | ColumnDType>> | undefined,
  checkSpec: (name: string, spec: Spec) => void,
): Record<string, Spec> | undefined {
  if (columns === undefined) return undefined;
  if (typeof columns !== "object" || columns === null || Object.keys(columns).length === 0) {
    throw new TypeError(msg.badOption(who, "columns", "an object with at least one column", columns));
  }
  const specs: Record<string, Spec> = {};
  for (const [name, value] of Object.entries(columns)) {
    if (typeof value === "string") {
      if (!isColumnDType(value))
        throw new RangeError(msg.badOption(who, `columns.${name}`, "a column dtype (float32, int32, int64, uint8) or { dtype, from, shape }", value));
      // A dtype alone: every other field of the spec is optional, so this is the whole spec.
      setOwn(specs, name, { dtype: value } as Spec);
      continue;
    }
    if (typeof value !== "object" || value === null) throw new TypeError(msg.badOption(who, `columns.${name}`, "{ dtype, from, shape } or a dtype", value));
    if (value.dtype !== undefined && !isColumnDType(value.dtype)) {
      throw new RangeError(msg.badOption(who, `columns.${name}.dtype`, "float32, int32, int64 or uint8", value.dtype));
    }
    checkSpec(name, value);
    setOwn(specs, name, value);
  }
  return specs;
}

/**
 * Validation of a data-loader cursor read back from a checkpoint: untrusted JSON, so every field
 * is checked and the error names the first bad one.
 */
import { NbresumeError } from "../../errors.js";
import type { DataLoaderCursor } from "./batch.js";
import { DataErrorCode, dataMessages as msg } from "./messages.js";

const KEY_PATTERN = /^[0-9a-f]{16}$/;

function fail(field: string, expected: string, got: unknown): never {
  throw new NbresumeError(DataErrorCode.CURSOR_INVALID, msg.cursorInvalid(field, expected, got), { where: field });
}

function count(v: Record<string, unknown>, field: string, min: number): number {
  const x = v[field];
  if (typeof x !== "number" || !Number.isSafeInteger(x) || x < min) fail(field, `an integer ≥ ${min}`, x);
  return x;
}

function flag(v: Record<string, unknown>, field: string): boolean {
  const x = v[field];
  if (typeof x !== "boolean") fail(field, "true or false", x);
  return x;
}

/** Returns a fresh, validated copy of `value`, or throws NbresumeError DATA_CURSOR_INVALID. */
export function parseCursor(value: unknown): DataLoaderCursor {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail("the cursor", "an object as DataLoader.cursor() returns it", value);
  }
  const v = value as Record<string, unknown>;
  if (v["version"] !== 1) fail("version", "1", v["version"]);
  const epoch = count(v, "epoch", 0);
  const position = count(v, "position", 0);
  const dataset = v["dataset"];
  if (typeof dataset !== "string") fail("dataset", "a dataset name (string)", dataset);
  const size = count(v, "count", 1);
  const batchSize = count(v, "batchSize", 1);
  const shuffle = flag(v, "shuffle");
  const dropLast = flag(v, "dropLast");
  const key = v["generatorKey"];
  if (shuffle && (typeof key !== "string" || !KEY_PATTERN.test(key))) {
    fail("generatorKey", "16 lowercase hex digits when shuffle is true", key);
  }
  if (!shuffle && key !== null) fail("generatorKey", "null when shuffle is false", key);
  return {
    version: 1,
    epoch,
    position,
    dataset,
    count: size,
    batchSize,
    shuffle,
    dropLast,
    generatorKey: key as string | null,
  };
}

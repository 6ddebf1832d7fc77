/**
 * Typed reads of a preview's JSON settings, with errors that name the preview kind and the
 * setting (the settings come from a model's declaration, or from a run's state.json).
 */
import type { JsonObject, JsonValue } from "../../engine/nn/json.js";

function fail(kind: string, name: string, expected: string, got: unknown): never {
  throw new RangeError(`Preview '${kind}': setting '${name}' must be ${expected}, got ${JSON.stringify(got) ?? String(got)}.`);
}

function own(settings: JsonObject, name: string): JsonValue | undefined {
  return Object.hasOwn(settings, name) ? settings[name] : undefined;
}

export function stringSetting(kind: string, settings: JsonObject, name: string, fallback?: string): string {
  const v = own(settings, name) ?? fallback;
  if (typeof v !== "string" || v === "") fail(kind, name, "a non-empty string", v);
  return v;
}

export function optionalStringSetting(kind: string, settings: JsonObject, name: string): string | undefined {
  const v = own(settings, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v === "") fail(kind, name, "a non-empty string", v);
  return v;
}

export function numberSetting(
  kind: string,
  settings: JsonObject,
  name: string,
  fallback: number,
  range: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const v = own(settings, name) ?? fallback;
  const { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY, integer = false } = range;
  const what = `${integer ? "an integer" : "a number"}${Number.isFinite(min) ? ` ≥ ${min}` : ""}${Number.isFinite(max) ? ` and ≤ ${max}` : ""}`;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isSafeInteger(v))) fail(kind, name, what, v);
  return v;
}

export function numberArraySetting(kind: string, settings: JsonObject, name: string, fallback?: readonly number[]): number[] {
  const v = own(settings, name) ?? fallback;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "number" && Number.isFinite(x))) fail(kind, name, "an array of numbers", v);
  return [...(v as number[])];
}

export function stringArraySetting(kind: string, settings: JsonObject, name: string): string[] | undefined {
  const v = own(settings, name);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) fail(kind, name, "an array of strings", v);
  return [...v];
}

export function objectSetting(kind: string, settings: JsonObject, name: string): JsonObject {
  const v = own(settings, name);
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(kind, name, "an object", v);
  return v as JsonObject;
}

/** Evenly spaced rows of a dataset of `count` examples (a held-out set ordered by class shows every class). */
export function evenlySpacedRows(count: number, n: number): Int32Array {
  const k = Math.min(n, count);
  return Int32Array.from({ length: k }, (_, i) => Math.floor((i * count) / k));
}

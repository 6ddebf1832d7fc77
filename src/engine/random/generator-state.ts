/**
 * Validation of a generator state read back from a checkpoint: untrusted JSON, so every field is
 * checked and the error names the first bad one.
 */
import { NbresumeError } from "../../errors.js";
import type { GeneratorState } from "./generator.js";
import { RandomErrorCode, randomMessages } from "./messages.js";

const KEY_PATTERN = /^[0-9a-f]{16}$/;

function fail(field: string, expected: string, got: unknown): never {
  throw new NbresumeError(RandomErrorCode.STATE_INVALID, randomMessages.invalidState(field, expected, got), { where: field });
}

function isUint32(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

/** Returns a fresh, validated copy of `value`, or throws NbresumeError RNG_STATE_INVALID. */
export function parseGeneratorState(value: unknown): GeneratorState {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail("the state", "an object { algorithm, key, s, spare }", value);
  }
  const v = value as Record<string, unknown>;
  if (v["algorithm"] !== "xoshiro128**") fail("algorithm", '"xoshiro128**"', v["algorithm"]);
  const key = v["key"];
  if (typeof key !== "string" || !KEY_PATTERN.test(key)) fail("key", "16 lowercase hex digits", key);
  const s = v["s"];
  if (!Array.isArray(s) || s.length !== 4) fail("s", "an array of 4 unsigned 32-bit integers", s);
  const words = s as unknown[];
  words.forEach((w, i) => {
    if (!isUint32(w)) fail(`s[${i}]`, "an integer in [0, 4294967295]", w);
  });
  const [a, b, c, d] = words as [number, number, number, number];
  if (a === 0 && b === 0 && c === 0 && d === 0) fail("s", "not all zero (xoshiro's one forbidden state)", "[0, 0, 0, 0]");
  const spare = v["spare"];
  if (spare !== null && !(typeof spare === "number" && Number.isFinite(spare))) fail("spare", "null or a finite number", spare);
  return { algorithm: "xoshiro128**", key, s: [a, b, c, d], spare };
}

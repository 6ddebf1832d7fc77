/**
 * Typed fields of a recorded model config. The config is untrusted JSON from a checkpoint: these
 * check shapes (TypeError naming the field); each model's own constructor checks the values.
 */
import { modelMessages } from "./messages.js";

export type RecordedConfig = Readonly<Record<string, unknown>>;

export function numberField(config: RecordedConfig, name: string): number {
  const v = config[name];
  if (typeof v !== "number") throw new TypeError(modelMessages.badField(name, "a number", v));
  return v;
}

export function numberArrayField(config: RecordedConfig, name: string): number[] {
  const v = config[name];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "number")) throw new TypeError(modelMessages.badField(name, "an array of numbers", v));
  return v;
}

export function objectField(config: RecordedConfig, name: string): Record<string, unknown> {
  const v = config[name];
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new TypeError(modelMessages.badField(name, "an object", v));
  return v as Record<string, unknown>;
}

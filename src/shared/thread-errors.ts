/**
 * Errors crossing from a worker thread (the background writer, the mirror, the sampler).
 * Structured clone keeps an Error's message but not its class or its `code`/`where`, which callers
 * match on, so they travel as plain data and are rebuilt as the same kinds of error (NbresumeError
 * with its code, fs errors with errno).
 */
import { NbresumeError } from "../errors.js";

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  where?: string;
  errno?: number;
  syscall?: string;
  path?: string;
  cause?: SerializedError;
}

const MAX_DEPTH = 4;

export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const e = error as Error & { code?: unknown; where?: unknown; errno?: unknown; syscall?: unknown; path?: unknown };
  const out: SerializedError = { name: e.name, message: e.message };
  if (e.stack !== undefined) out.stack = e.stack;
  if (typeof e.code === "string") out.code = e.code;
  if (typeof e.where === "string") out.where = e.where;
  if (typeof e.errno === "number") out.errno = e.errno;
  if (typeof e.syscall === "string") out.syscall = e.syscall;
  if (typeof e.path === "string") out.path = e.path;
  if (e.cause !== undefined && depth < MAX_DEPTH) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

export function deserializeError(s: SerializedError): Error {
  const cause = s.cause === undefined ? undefined : deserializeError(s.cause);
  let error: Error;
  if (s.name === "NbresumeError" && s.code !== undefined) {
    error = new NbresumeError(s.code, s.message, { ...(s.where === undefined ? {} : { where: s.where }), ...(cause === undefined ? {} : { cause }) });
  } else {
    const Kind = s.name === "TypeError" ? TypeError : s.name === "RangeError" ? RangeError : Error;
    error = new Kind(s.message, cause === undefined ? undefined : { cause });
    if (Kind === Error && s.name !== "Error") Object.defineProperty(error, "name", { value: s.name, configurable: true, writable: true });
    const extra: Record<string, unknown> = {};
    if (s.code !== undefined) extra.code = s.code;
    if (s.errno !== undefined) extra.errno = s.errno;
    if (s.syscall !== undefined) extra.syscall = s.syscall;
    if (s.path !== undefined) extra.path = s.path;
    Object.assign(error, extra);
  }
  if (s.stack !== undefined) error.stack = s.stack;
  return error;
}

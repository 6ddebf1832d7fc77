/**
 * Validation of a safetensors header, as strict as the reference reader (huggingface/safetensors
 * `read_metadata` + `Metadata::validate`) and a little stricter where JSON itself is ambiguous
 * (duplicate keys) or the reference is lenient (extra fields in an entry). A file from disk is
 * untrusted: every size is checked against the file size before anything is allocated from it.
 */
import { NbresumeError } from "../../errors.js";
import { ELEMENT_BYTES, OTHER_FORMAT_DTYPES, SAFETENSORS_DTYPES, isSafetensorsDType } from "./dtypes.js";
import { findDuplicateKey } from "./json-duplicates.js";
import { SafetensorsErrorCode as Code, type SafetensorsErrorCodeValue, safetensorsMessages as msg } from "./messages.js";
import { setOwn } from "../../shared/own-record.js";
import type { HeaderEntry, ParsedHeader } from "./safetensors.js";

/** The reference reader's cap on the header length (MAX_HEADER_SIZE = 100_000_000). */
export const MAX_HEADER_BYTES = 100_000_000;

const ENTRY_KEYS = ["dtype", "shape", "data_offsets"] as const;

// ignoreBOM keeps a leading U+FEFF in the text, so JSON.parse rejects it as serde_json does.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function fail(code: SafetensorsErrorCodeValue, message: string, where: string, cause?: unknown): NbresumeError {
  return new NbresumeError(code, message, cause === undefined ? { where } : { where, cause });
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** A JSON integer usable as a count or offset: no fraction, not negative (not even -0), exact. */
function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && !Object.is(value, -0);
}

function checkFileSize(fileSize: number): void {
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) {
    throw new RangeError(`parseHeader: fileSize must be a non-negative integer, got ${fileSize}.`);
  }
}

/**
 * The header length N from the file's first 8 bytes (u64 little-endian), validated against the
 * cap and the file size, so the caller can safely allocate 8 + N bytes for the header.
 */
export function readHeaderLength(first: Uint8Array, fileSize: number, where = "safetensors data"): number {
  checkFileSize(fileSize);
  if (fileSize < 8) throw fail(Code.TOO_SHORT, msg.tooShort(where, fileSize), where);
  if (first.byteLength < 8) throw new RangeError(msg.headerPrefixTooShort(first.byteLength, 8));
  // Read as BigInt: a u64 can exceed 2^53, and Number() of it would round silently.
  const length = new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw fail(Code.HEADER_TOO_LARGE, msg.headerTooLarge(where, length, MAX_HEADER_BYTES), where);
  }
  const n = Number(length);
  if (n > fileSize - 8) throw fail(Code.HEADER_LENGTH_INVALID, msg.headerLengthInvalid(where, n, fileSize), where);
  return n;
}

interface Checked {
  readonly entry: HeaderEntry;
  /** Offsets relative to the data section, as in the file. */
  readonly begin: number;
  readonly end: number;
}

function checkEntry(name: string, raw: unknown, where: string): Checked {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw fail(Code.ENTRY_INVALID, msg.entryInvalid(where, name, `it is ${describe(raw)}`), where);
  }
  const record = raw as Record<string, unknown>;
  const missing = ENTRY_KEYS.filter((k) => !Object.prototype.hasOwnProperty.call(record, k));
  if (missing.length > 0) {
    throw fail(Code.ENTRY_INVALID, msg.entryInvalid(where, name, `it lacks ${missing.map((k) => `"${k}"`).join(", ")}`), where);
  }
  const extra = Object.keys(record).filter((k) => !(ENTRY_KEYS as readonly string[]).includes(k));
  if (extra.length > 0) {
    throw fail(Code.ENTRY_INVALID, msg.entryInvalid(where, name, `it also has ${extra.map((k) => JSON.stringify(k)).join(", ")}`), where);
  }
  const dtype = record["dtype"];
  if (!isSafetensorsDType(dtype)) {
    throw fail(Code.DTYPE_UNKNOWN, msg.dtypeUnknown(where, name, dtype, SAFETENSORS_DTYPES, OTHER_FORMAT_DTYPES), where);
  }
  const shape = record["shape"];
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw fail(Code.SHAPE_INVALID, msg.shapeInvalid(where, name, shape), where);
  }
  const offsets = record["data_offsets"];
  if (!Array.isArray(offsets) || offsets.length !== 2 || !isCount(offsets[0]) || !isCount(offsets[1]) || offsets[0] > offsets[1]) {
    throw fail(Code.OFFSETS_INVALID, msg.offsetsInvalid(where, name, offsets), where);
  }
  const [begin, end] = offsets as [number, number];
  // Folded left with a check at each step, as the reference's checked_mul does.
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (!Number.isSafeInteger(count)) throw fail(Code.SIZE_OVERFLOW, msg.sizeOverflow(where, name, shape), where);
  }
  const bytes = count * ELEMENT_BYTES[dtype];
  if (!Number.isSafeInteger(bytes)) throw fail(Code.SIZE_OVERFLOW, msg.sizeOverflow(where, name, shape), where);
  if (end - begin !== bytes) {
    throw fail(Code.SIZE_MISMATCH, msg.sizeMismatch(where, name, dtype, shape, bytes, end - begin), where);
  }
  return { entry: { name, dtype, shape: [...shape], begin, end }, begin, end };
}

/**
 * Parses and validates the header of a safetensors file of `fileSize` bytes. `prefix` holds at
 * least the file's first 8 + N bytes (N = the header length in its first 8). Every failure
 * throws NbresumeError with a SAFETENSORS_* code and `where` set to the given description.
 */
export function parseHeader(prefix: Uint8Array, fileSize: number, where = "safetensors data"): ParsedHeader {
  const n = readHeaderLength(prefix, fileSize, where);
  if (prefix.byteLength < 8 + n) throw new RangeError(msg.headerPrefixTooShort(prefix.byteLength, 8 + n));
  const dataStart = 8 + n;

  let text: string;
  try {
    text = utf8.decode(prefix.subarray(8, dataStart));
  } catch (e) {
    throw fail(Code.HEADER_NOT_UTF8, msg.headerNotUtf8(where), where, e);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw fail(Code.HEADER_NOT_JSON, msg.headerNotJson(where, e instanceof Error ? e.message : String(e)), where, e);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw fail(Code.HEADER_NOT_OBJECT, msg.headerNotObject(where, describe(json)), where);
  }
  // JSON.parse keeps the last of two equal keys; other readers may keep the first. Refuse.
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) throw fail(Code.DUPLICATE_KEY, msg.duplicateKey(where, duplicate), where);

  const metadata: Record<string, string> = {};
  const checked: Checked[] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name === "__metadata__") {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        throw fail(Code.METADATA_INVALID, msg.metadataInvalid(where, `it is ${describe(raw)}`), where);
      }
      for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof value !== "string") {
          throw fail(Code.METADATA_INVALID, msg.metadataInvalid(where, `${JSON.stringify(key)} is ${describe(value)}`), where);
        }
        setOwn(metadata, key, value);
      }
      continue;
    }
    checked.push(checkEntry(name, raw, where));
  }

  // Files from other writers may list tensors in any order; the data order is the offsets'.
  checked.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const c of checked) {
    if (c.begin !== expected) {
      throw fail(Code.NOT_CONTIGUOUS, msg.notContiguous(where, c.entry.name, c.begin, expected), where);
    }
    expected = c.end;
  }
  // Compared as differences so no sum can exceed 2^53.
  const available = fileSize - dataStart;
  if (expected > available) {
    const claimed = BigInt(dataStart) + BigInt(expected);
    throw fail(Code.TRUNCATED, msg.truncated(where, Number(claimed), fileSize), where);
  }
  if (expected < available) {
    throw fail(Code.TRAILING_BYTES, msg.trailingBytes(where, dataStart + expected, fileSize), where);
  }

  const entries: HeaderEntry[] = checked.map(({ entry }) => ({
    ...entry,
    begin: dataStart + entry.begin,
    end: dataStart + entry.end,
  }));
  return { dataStart, entries, metadata };
}

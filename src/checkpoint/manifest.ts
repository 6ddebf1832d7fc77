/**
 * manifest.json: written last, it is what makes a checkpoint a checkpoint. It lists every other
 * file with its size and hash, and protects itself with a checksum of its own canonical text,
 * so a flipped byte anywhere in a checkpoint — the manifest included — is found.
 *
 * Read back, it is untrusted input: size-capped, strict UTF-8, exact key sets, typed fields,
 * and byte-identical to its canonical serialization (any edit is reported, not interpreted).
 */
import { NbresumeError } from "../errors.js";
import { hashBytes, isHashString } from "./hash.js";
import { MAX_JSON_DEPTH, jsonDepth } from "./json-depth.js";
import { CheckpointErrorCode, invalidContent, checkpointMessages as messages } from "./messages.js";
import { MANIFEST_FILE, STATE_FILE, groupOfFile, isCheckpointKind } from "./naming.js";
import { setOwn } from "../shared/own-record.js";
import type { Metrics } from "./metrics.js";
import type { CheckpointKind } from "./naming.js";

export const FORMAT_VERSION = 1;
/** A manifest lists a handful of files; anything near this size is not ours. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
const MAX_FILES = 4096;

export interface ManifestFileEntry {
  bytes: number;
  /** "xxh64:<16 hex>" of the file's bytes. */
  hash: string;
}

export interface Manifest {
  format: number;
  /** nbresume version that wrote the checkpoint. */
  nbresume: string;
  kind: CheckpointKind;
  step: number;
  epoch: number;
  metrics: Metrics;
  /** ISO 8601 time of the write. */
  created: string;
  /** Every file of the checkpoint except manifest.json, by name. */
  files: Record<string, ManifestFileEntry>;
}

const MANIFEST_KEYS = ["format", "nbresume", "kind", "step", "epoch", "metrics", "created", "files", "checksum"];

function canonicalBody(m: Manifest): string {
  const body: Manifest = {
    format: m.format,
    nbresume: m.nbresume,
    kind: m.kind,
    step: m.step,
    epoch: m.epoch,
    metrics: m.metrics,
    created: m.created,
    files: m.files,
  };
  // JSON.stringify writes non-finite metrics as null; parseManifest reads null back as NaN.
  return JSON.stringify(body, null, 2);
}

/** The exact bytes of manifest.json for `m`. */
export function serializeManifest(m: Manifest): Uint8Array {
  const body = canonicalBody(m);
  const checksum = hashBytes(body);
  return new TextEncoder().encode(`${body.slice(0, -2)},\n  "checksum": "${checksum}"\n}\n`);
}

function invalid(file: string, detail: string, cause?: unknown): NbresumeError {
  return new NbresumeError(CheckpointErrorCode.CORRUPT, messages.fileInvalid(file, detail), {
    where: file,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Decode strict UTF-8 and parse JSON nested at most MAX_JSON_DEPTH deep; the error names `file`. */
export function parseJsonFile(bytes: Uint8Array, file: string): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw invalid(file, invalidContent.notUtf8(), error);
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw invalid(file, invalidContent.tooDeep(MAX_JSON_DEPTH));
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalid(file, invalidContent.notJson((error as Error).message), error);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A property of parsed JSON only if the JSON itself has it: `state.toString` must not be
 * Object.prototype's function, nor `"constructor" in config` true for every object.
 */
export function ownValue(record: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

function isNonNegativeSafeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Metrics as stored: numbers, or null for a non-finite value. Returns them with null → NaN. */
export function parseMetrics(value: unknown, file: string): Metrics {
  if (!isPlainObject(value)) throw invalid(file, invalidContent.metricsNotObject());
  const metrics: Metrics = {};
  for (const [name, v] of Object.entries(value)) {
    // Defined, not assigned: a metric named "__proto__" is an entry like any other.
    if (v === null) setOwn(metrics, name, Number.NaN);
    else if (typeof v === "number") setOwn(metrics, name, v);
    else throw invalid(file, invalidContent.badMetric(name, v));
  }
  return metrics;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** Validate manifest.json bytes strictly. Throws CHECKPOINT_CORRUPT naming manifest.json. */
export function parseManifest(bytes: Uint8Array): Manifest {
  const file = MANIFEST_FILE;
  if (bytes.byteLength > MAX_MANIFEST_BYTES) throw invalid(file, invalidContent.tooLarge(bytes.byteLength, MAX_MANIFEST_BYTES));
  const value = parseJsonFile(bytes, file);
  if (!isPlainObject(value)) throw invalid(file, invalidContent.notObject());
  for (const key of Object.keys(value)) {
    if (!MANIFEST_KEYS.includes(key)) throw invalid(file, invalidContent.unknownField(key));
  }
  for (const key of MANIFEST_KEYS) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) throw invalid(file, invalidContent.missingField(key));
  }
  const v = value;
  if (v.format !== FORMAT_VERSION) {
    throw invalid(file, invalidContent.unsupportedFormat(v.format, FORMAT_VERSION));
  }
  if (typeof v.nbresume !== "string" || v.nbresume.length > 64) throw invalid(file, invalidContent.notVersion());
  if (!isCheckpointKind(v.kind)) throw invalid(file, invalidContent.badKind(v.kind));
  if (!isNonNegativeSafeInteger(v.step)) throw invalid(file, invalidContent.notCount("step", v.step));
  if (!isNonNegativeSafeInteger(v.epoch)) throw invalid(file, invalidContent.notCount("epoch", v.epoch));
  const metrics = parseMetrics(v.metrics, file);
  if (typeof v.created !== "string" || !ISO_TIME.test(v.created) || Number.isNaN(Date.parse(v.created))) {
    throw invalid(file, invalidContent.badCreated(v.created));
  }
  if (!isPlainObject(v.files)) throw invalid(file, invalidContent.filesNotObject());
  const entries = Object.entries(v.files);
  if (entries.length > MAX_FILES) throw invalid(file, invalidContent.tooManyFiles(entries.length, MAX_FILES));
  const files: Record<string, ManifestFileEntry> = {};
  for (const [name, entry] of entries) {
    if (name !== STATE_FILE && groupOfFile(name) === undefined) {
      throw invalid(file, invalidContent.badFileName(name));
    }
    if (!isPlainObject(entry) || Object.keys(entry).length !== 2 || !isNonNegativeSafeInteger(entry.bytes) || !isHashString(entry.hash)) {
      throw invalid(file, invalidContent.badFileEntry(name));
    }
    files[name] = { bytes: entry.bytes, hash: entry.hash };
  }
  if (!Object.prototype.hasOwnProperty.call(files, STATE_FILE)) throw invalid(file, invalidContent.noStateFile());
  if (typeof v.checksum !== "string" || !isHashString(v.checksum)) throw invalid(file, invalidContent.badChecksumField());

  const manifest: Manifest = {
    format: v.format,
    nbresume: v.nbresume,
    kind: v.kind,
    step: v.step,
    epoch: v.epoch,
    metrics,
    created: v.created,
    files,
  };
  const actual = hashBytes(canonicalBody(manifest));
  if (actual !== v.checksum) throw invalid(file, invalidContent.checksumMismatch(v.checksum, actual));
  const canonical = serializeManifest(manifest);
  if (!sameBytes(canonical, bytes)) throw invalid(file, invalidContent.notCanonical());
  return manifest;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Groups a manifest holds, in file order. */
export function manifestGroups(m: Manifest): string[] {
  const groups: string[] = [];
  for (const name of Object.keys(m.files)) {
    const g = groupOfFile(name);
    if (g !== undefined) groups.push(g);
  }
  return groups;
}

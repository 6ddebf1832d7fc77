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
import { CheckpointErrorCode, messages } from "./messages.js";
import { MANIFEST_FILE, STATE_FILE, groupOfFile, isCheckpointKind } from "./naming.js";
import type { CheckpointKind, Metrics } from "./store.js";

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
    format: m.format, nbresume: m.nbresume, kind: m.kind, step: m.step, epoch: m.epoch,
    metrics: m.metrics, created: m.created, files: m.files,
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

/** Decode strict UTF-8 and parse JSON; the error names `file`. */
export function parseJsonFile(bytes: Uint8Array, file: string): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw invalid(file, "not valid UTF-8", error);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalid(file, `not valid JSON (${(error as Error).message})`, error);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNonNegativeSafeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Metrics as stored: numbers, or null for a non-finite value. Returns them with null → NaN. */
export function parseMetrics(value: unknown, file: string): Metrics {
  if (!isPlainObject(value)) throw invalid(file, "metrics must be an object of numbers");
  const metrics: Metrics = {};
  for (const [name, v] of Object.entries(value)) {
    if (v === null) metrics[name] = Number.NaN;
    else if (typeof v === "number") metrics[name] = v;
    else throw invalid(file, `metric "${name}" must be a number or null, not ${JSON.stringify(v)}`);
  }
  return metrics;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** Validate manifest.json bytes strictly. Throws CHECKPOINT_CORRUPT naming manifest.json. */
export function parseManifest(bytes: Uint8Array): Manifest {
  const file = MANIFEST_FILE;
  if (bytes.byteLength > MAX_MANIFEST_BYTES) throw invalid(file, `${bytes.byteLength} bytes, over the ${MAX_MANIFEST_BYTES} limit`);
  const value = parseJsonFile(bytes, file);
  if (!isPlainObject(value)) throw invalid(file, "not a JSON object");
  for (const key of Object.keys(value)) {
    if (!MANIFEST_KEYS.includes(key)) throw invalid(file, `unknown field "${key}"`);
  }
  for (const key of MANIFEST_KEYS) {
    if (!(key in value)) throw invalid(file, `field "${key}" is missing`);
  }
  const v = value as Record<(typeof MANIFEST_KEYS)[number], unknown>;
  if (v.format !== FORMAT_VERSION) {
    throw invalid(file, `format ${JSON.stringify(v.format)} is not supported (this nbresume reads format ${FORMAT_VERSION}; a newer nbresume may read it)`);
  }
  if (typeof v.nbresume !== "string" || v.nbresume.length > 64) throw invalid(file, "nbresume must be a version string");
  if (!isCheckpointKind(v.kind)) throw invalid(file, `kind ${JSON.stringify(v.kind)} is not rolling, emergency, epoch or final`);
  if (!isNonNegativeSafeInteger(v.step)) throw invalid(file, `step ${JSON.stringify(v.step)} is not an integer ≥ 0`);
  if (!isNonNegativeSafeInteger(v.epoch)) throw invalid(file, `epoch ${JSON.stringify(v.epoch)} is not an integer ≥ 0`);
  const metrics = parseMetrics(v.metrics, file);
  if (typeof v.created !== "string" || !ISO_TIME.test(v.created) || Number.isNaN(Date.parse(v.created))) {
    throw invalid(file, `created ${JSON.stringify(v.created)} is not an ISO 8601 UTC time`);
  }
  if (!isPlainObject(v.files)) throw invalid(file, "files must be an object");
  const entries = Object.entries(v.files);
  if (entries.length > MAX_FILES) throw invalid(file, `lists ${entries.length} files, over the ${MAX_FILES} limit`);
  const files: Record<string, ManifestFileEntry> = {};
  for (const [name, entry] of entries) {
    if (name !== STATE_FILE && groupOfFile(name) === undefined) {
      throw invalid(file, `lists "${name}", which is neither state.json nor <group>.safetensors`);
    }
    if (!isPlainObject(entry) || Object.keys(entry).length !== 2 || !isNonNegativeSafeInteger(entry.bytes) || !isHashString(entry.hash)) {
      throw invalid(file, `the entry for "${name}" must be exactly { "bytes": integer ≥ 0, "hash": "xxh64:<16 hex>" }`);
    }
    files[name] = { bytes: entry.bytes, hash: entry.hash };
  }
  if (!(STATE_FILE in files)) throw invalid(file, "does not list state.json");
  if (typeof v.checksum !== "string" || !isHashString(v.checksum)) throw invalid(file, "checksum must be \"xxh64:<16 hex>\"");

  const manifest: Manifest = {
    format: v.format, nbresume: v.nbresume, kind: v.kind, step: v.step, epoch: v.epoch,
    metrics, created: v.created, files,
  };
  const actual = hashBytes(canonicalBody(manifest));
  if (actual !== v.checksum) throw invalid(file, `checksum ${v.checksum} expected, ${actual} found (the manifest changed)`);
  const canonical = serializeManifest(manifest);
  if (!sameBytes(canonical, bytes)) throw invalid(file, "not in its canonical form (edited by hand?)");
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

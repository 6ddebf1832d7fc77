/**
 * Deep check of one checkpoint directory: the manifest parses and checks itself, every file it
 * lists exists with the listed size and hash, state.json is valid and agrees with the manifest,
 * and the directory name agrees with the manifest. Reports every problem, each naming its file.
 */
import { constants as fsConstants } from "node:fs";
import * as path from "node:path";
import { isNbresumeError } from "../errors.js";
import { type DurableFs, FileTooLargeError, errnoCode, readSmallFile } from "./durable-fs.js";
import { createHash, hashBytes } from "./hash.js";
import { MAX_MANIFEST_BYTES, type Manifest, parseManifest } from "./manifest.js";
import { messages } from "./messages.js";
import { MANIFEST_FILE, STATE_FILE, parseCheckpointDirName } from "./naming.js";
import { MAX_STATE_BYTES, parseState, stateManifestMismatches } from "./state-file.js";
import type { CheckpointProblem } from "./store.js";

export const READ_CHUNK = 8 * 1024 * 1024;

export interface ManifestRead {
  manifest: Manifest | undefined;
  problems: CheckpointProblem[];
}

function problemFromError(file: string, error: unknown): CheckpointProblem {
  const code = errnoCode(error);
  if (code === "ENOENT") return { file, kind: "missing", message: messages.fileMissing(file) };
  if (error instanceof FileTooLargeError) {
    return { file, kind: "invalid", message: messages.fileInvalid(file, `${error.size} bytes, over the ${error.maxBytes} limit`) };
  }
  if (isNbresumeError(error)) return { file, kind: "invalid", message: error.message };
  return { file, kind: "unreadable", message: messages.fileUnreadable(file, code ?? (error as Error).message) };
}

/** Read and validate manifest.json of `dir` (no data files read). */
export async function readManifest(fs: DurableFs, dir: string): Promise<ManifestRead> {
  let manifest: Manifest;
  try {
    manifest = parseManifest(await readSmallFile(fs, path.join(dir, MANIFEST_FILE), MAX_MANIFEST_BYTES));
  } catch (error) {
    return { manifest: undefined, problems: [problemFromError(MANIFEST_FILE, error)] };
  }
  const problems: CheckpointProblem[] = [];
  const name = path.basename(dir);
  const parsed = parseCheckpointDirName(name);
  if (parsed) {
    // A directory renamed by hand must not pass for another step or kind.
    if (parsed.step !== manifest.step) problems.push({ file: MANIFEST_FILE, kind: "mismatch", message: messages.nameMismatch(name, "step", manifest.step) });
    if (parsed.kind !== manifest.kind) problems.push({ file: MANIFEST_FILE, kind: "mismatch", message: messages.nameMismatch(name, "kind", manifest.kind) });
  }
  return { manifest, problems };
}

/** Hash a file in chunks; size is checked first so a truncated file is reported as such. */
export async function checkDataFile(fs: DurableFs, file: string, name: string, expected: { bytes: number; hash: string }, buffer: Uint8Array): Promise<CheckpointProblem | undefined> {
  let handle;
  try {
    handle = await fs.open(file, fsConstants.O_RDONLY);
  } catch (error) {
    return problemFromError(name, error);
  }
  try {
    const { size } = await handle.stat();
    if (size !== expected.bytes) {
      return { file: name, kind: "size", message: messages.fileSize(name, expected.bytes, size), expected: expected.bytes, actual: size };
    }
    const hash = createHash();
    let position = 0;
    while (position < size) {
      const want = Math.min(buffer.byteLength, size - position);
      const { bytesRead } = await handle.read(buffer, 0, want, position);
      if (bytesRead === 0) {
        return { file: name, kind: "size", message: messages.fileSize(name, expected.bytes, position), expected: expected.bytes, actual: position };
      }
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    const actual = hash.digest();
    if (actual !== expected.hash) {
      return { file: name, kind: "hash", message: messages.fileHash(name, expected.hash, actual), expected: expected.hash, actual };
    }
    return undefined;
  } catch (error) {
    return problemFromError(name, error);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

export interface DeepCheck {
  manifest: Manifest | undefined;
  problems: CheckpointProblem[];
  /** Bytes read and hashed. */
  bytes: number;
}

/** Verify every file of the checkpoint in `dir`. */
export async function verifyCheckpointDir(fs: DurableFs, dir: string): Promise<DeepCheck> {
  const { manifest, problems } = await readManifest(fs, dir);
  if (!manifest) return { manifest, problems, bytes: 0 };
  let bytes = 0;
  let buffer: Uint8Array | undefined;
  for (const [name, entry] of Object.entries(manifest.files)) {
    const file = path.join(dir, name);
    if (name === STATE_FILE) {
      let raw: Uint8Array;
      try {
        raw = await readSmallFile(fs, file, MAX_STATE_BYTES);
      } catch (error) {
        problems.push(problemFromError(name, error));
        continue;
      }
      bytes += raw.byteLength;
      if (raw.byteLength !== entry.bytes) {
        problems.push({ file: name, kind: "size", message: messages.fileSize(name, entry.bytes, raw.byteLength), expected: entry.bytes, actual: raw.byteLength });
        continue;
      }
      const actual = hashBytes(raw);
      if (actual !== entry.hash) {
        problems.push({ file: name, kind: "hash", message: messages.fileHash(name, entry.hash, actual), expected: entry.hash, actual });
        continue;
      }
      try {
        problems.push(...stateManifestMismatches(parseState(raw), manifest));
      } catch (error) {
        problems.push(problemFromError(name, error));
      }
      continue;
    }
    buffer ??= new Uint8Array(READ_CHUNK);
    const problem = await checkDataFile(fs, file, name, entry, buffer);
    if (problem) problems.push(problem);
    else bytes += entry.bytes;
  }
  return { manifest, problems, bytes };
}

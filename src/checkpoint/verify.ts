/**
 * Deep check of one checkpoint directory: it is a real directory holding only regular files, the
 * manifest parses and checks itself, every file it lists exists with the listed size and hash,
 * each safetensors file is valid safetensors (the header the reader would trust, checked against
 * the file's size: the hash only says the bytes are the ones written, not that they are readable),
 * state.json is valid and agrees with the manifest, and the directory name agrees with the
 * manifest. Reports every problem, each naming its file.
 *
 * Intact files can still hold a diverged run: non-finite metrics are a "diverged" problem here;
 * NaN or infinite tensor values are judged by nonFiniteValues() on tensors already read (a note
 * for the CLI, not a verification failure: a store may hold such values on purpose).
 */
import { isNbresumeError } from "../errors.js";
import type { DType, Tensor, TensorGroup } from "../tensor.js";
import { type DurableFs, FileTooLargeError, NotRegularFileError, errnoCode } from "./durable-fs.js";
import { createHash, hashBytes } from "./hash.js";
import { MAX_MANIFEST_BYTES, type Manifest, parseManifest } from "./manifest.js";
import { checkpointMessages as messages } from "./messages.js";
import { MANIFEST_FILE, STATE_FILE, groupFileName, groupOfFile, parseCheckpointDirName } from "./naming.js";
import { parseHeader, readHeaderLength } from "./safetensors/index.js";
import { MAX_STATE_BYTES, parseState, stateManifestMismatches } from "./state-file.js";
import { LocalCheckpointFiles } from "./storage/local/local-files.js";
import type { CheckpointFiles, OpenedFile } from "./storage/storage.js";
import type { CheckpointProblem } from "./store.js";

export const READ_CHUNK = 8 * 1024 * 1024;

export interface ManifestRead {
  manifest: Manifest | undefined;
  problems: CheckpointProblem[];
}

function problemFromError(file: string, error: unknown): CheckpointProblem {
  const code = errnoCode(error);
  if (code === "ENOENT") return { file, kind: "missing", message: messages.fileMissing(file) };
  if (error instanceof NotRegularFileError) return { file, kind: "special", message: messages.fileSpecial(file, error.kind) };
  if (error instanceof FileTooLargeError) {
    return { file, kind: "invalid", message: messages.fileInvalid(file, `${error.size} bytes, over the ${error.maxBytes} limit`) };
  }
  if (isNbresumeError(error)) return { file, kind: "invalid", message: error.message };
  return { file, kind: "unreadable", message: messages.fileUnreadable(file, code ?? (error as Error).message) };
}

/** Read and validate manifest.json of the checkpoint directory `dir` (no data files read). */
export function readManifest(fs: DurableFs, dir: string): Promise<ManifestRead> {
  return readManifestOf(new LocalCheckpointFiles(fs, dir));
}

/** Read and validate a checkpoint's manifest.json (no data files read). */
export async function readManifestOf(files: CheckpointFiles): Promise<ManifestRead> {
  let manifest: Manifest;
  try {
    manifest = parseManifest(await files.readSmall(MANIFEST_FILE, MAX_MANIFEST_BYTES));
  } catch (error) {
    return { manifest: undefined, problems: [problemFromError(MANIFEST_FILE, error)] };
  }
  const problems: CheckpointProblem[] = [];
  const name = files.name;
  const parsed = parseCheckpointDirName(name);
  if (parsed) {
    // A directory renamed by hand must not pass for another step or kind.
    if (parsed.step !== manifest.step) problems.push({ file: MANIFEST_FILE, kind: "mismatch", message: messages.nameMismatch(name, "step", manifest.step) });
    if (parsed.kind !== manifest.kind) problems.push({ file: MANIFEST_FILE, kind: "mismatch", message: messages.nameMismatch(name, "kind", manifest.kind) });
  }
  return { manifest, problems };
}

/** The file's safetensors header, validated against its size; `first` holds its first bytes. */
async function checkFormat(handle: OpenedFile, name: string, size: number, first: Uint8Array): Promise<CheckpointProblem | undefined> {
  try {
    const n = readHeaderLength(first.subarray(0, Math.min(8, first.byteLength)), size, name);
    let prefix = first;
    if (first.byteLength < 8 + n) {
      // A header larger than the first chunk (up to the reader's 100 MB cap): read it whole.
      prefix = new Uint8Array(8 + n);
      let done = 0;
      while (done < prefix.byteLength) {
        const { bytesRead } = await handle.read(prefix, done, prefix.byteLength - done, done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    }
    parseHeader(prefix.subarray(0, 8 + n), size, name);
    return undefined;
  } catch (error) {
    // The safetensors messages start with `where`, the file's name here.
    if (isNbresumeError(error)) return { file: name, kind: "invalid", message: error.message };
    return problemFromError(name, error);
  }
}

/**
 * Hash a file in chunks; size is checked first so a truncated file is reported as such. A
 * `<group>.safetensors` file is also checked to be valid safetensors (from the bytes the hash
 * reads anyway: no extra I/O unless its header is larger than a chunk).
 */
export async function checkDataFile(
  files: CheckpointFiles,
  name: string,
  expected: { bytes: number; hash: string },
  buffer: Uint8Array,
): Promise<CheckpointProblem | undefined> {
  let handle: OpenedFile;
  let size: number;
  try {
    handle = await files.open(name);
    size = handle.size;
  } catch (error) {
    return problemFromError(name, error);
  }
  try {
    if (size !== expected.bytes) {
      return { file: name, kind: "size", message: messages.fileSize(name, expected.bytes, size), expected: expected.bytes, actual: size };
    }
    const hash = createHash();
    let position = 0;
    const safetensors = groupOfFile(name) !== undefined;
    let format: CheckpointProblem | undefined;
    let formatChecked = false;
    while (position < size) {
      const want = Math.min(buffer.byteLength, size - position);
      const { bytesRead } = await handle.read(buffer, 0, want, position);
      if (bytesRead === 0) {
        return { file: name, kind: "size", message: messages.fileSize(name, expected.bytes, position), expected: expected.bytes, actual: position };
      }
      if (position === 0 && safetensors) {
        // From the first chunk, before the buffer is reused for the next one.
        format = await checkFormat(handle, name, size, buffer.subarray(0, bytesRead));
        formatChecked = true;
      }
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    if (safetensors && !formatChecked) format = await checkFormat(handle, name, size, new Uint8Array(0));
    const actual = hash.digest();
    if (actual !== expected.hash) {
      return { file: name, kind: "hash", message: messages.fileHash(name, expected.hash, actual), expected: expected.hash, actual };
    }
    // The bytes are the ones the manifest lists, but they must also be readable as safetensors.
    return format;
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

/** Metrics that are not finite, as "loss = NaN" (empty when all are finite). */
export function nonFiniteMetrics(metrics: Readonly<Record<string, number>>): string[] {
  return Object.entries(metrics)
    .filter(([, v]) => !Number.isFinite(v))
    .map(([k, v]) => `${k} = ${v}`);
}

/** The "diverged" problem of a manifest whose metrics are not all finite, if they are not. */
export function divergedProblems(manifest: Manifest | undefined): CheckpointProblem[] {
  const bad = manifest ? nonFiniteMetrics(manifest.metrics) : [];
  return bad.length === 0 ? [] : [{ file: MANIFEST_FILE, kind: "diverged", message: messages.fileInvalid(MANIFEST_FILE, messages.diverged(bad)) }];
}

/** The exponent bits of a float16 and a bfloat16 word: all set exactly when it is NaN or ±Inf. */
const EXPONENT_OF: Readonly<Partial<Record<DType, number>>> = { float16: 0x7c00, bfloat16: 0x7f80 };

/** How many of a tensor's values are NaN or infinite (0 for integer and bool tensors). */
function countNonFinite(t: Tensor): number {
  let bad = 0;
  if (t.dtype === "float32" || t.dtype === "float64") {
    const data = t.data as Float32Array | Float64Array;
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) bad++;
    return bad;
  }
  const exponent = EXPONENT_OF[t.dtype];
  if (exponent === undefined) return 0;
  // float16 and bfloat16 travel as raw 16-bit words.
  const words = t.data as Uint16Array;
  for (let i = 0; i < words.length; i++) if ((words[i]! & exponent) === exponent) bad++;
  return bad;
}

/**
 * The "diverged" notes of tensors read from a checkpoint: per group file, its float tensors that
 * hold NaN or infinite values and how many (empty when every value is finite). The files were
 * intact; the training that wrote them was not.
 */
export function nonFiniteValues(groups: Readonly<Record<string, TensorGroup>>): CheckpointProblem[] {
  const notes: CheckpointProblem[] = [];
  for (const [group, tensors] of Object.entries(groups)) {
    const found: string[] = [];
    for (const [name, t] of Object.entries(tensors)) {
      const bad = countNonFinite(t);
      if (bad > 0) found.push(messages.nonFiniteTensor(name, bad, t.data.length));
    }
    const file = groupFileName(group);
    if (found.length > 0) notes.push({ file, kind: "diverged", message: messages.fileInvalid(file, messages.parametersNotFinite(found)) });
  }
  return notes;
}

export interface VerifyOptions {
  /** Also report non-finite metrics as a "diverged" problem (verify() does; the damage checks do not). */
  diverged?: boolean;
}

/** Verify every file of the checkpoint directory `dir`. */
export function verifyCheckpointDir(fs: DurableFs, dir: string, options: VerifyOptions = {}): Promise<DeepCheck> {
  return verifyCheckpoint(new LocalCheckpointFiles(fs, dir), options);
}

/** Verify every file of a checkpoint. */
export async function verifyCheckpoint(files: CheckpointFiles, options: VerifyOptions = {}): Promise<DeepCheck> {
  const scan = (await files.scan()) ?? { bytes: 0, problems: [] };
  if (scan.problems.some((p) => p.kind === "special" && p.file === files.name)) {
    return { manifest: undefined, problems: scan.problems, bytes: 0 };
  }
  const { manifest, problems } = await readManifestOf(files);
  problems.push(...scan.problems);
  if (!manifest) return { manifest, problems, bytes: 0 };
  if (options.diverged === true) problems.push(...divergedProblems(manifest));
  let bytes = 0;
  let buffer: Uint8Array | undefined;
  for (const [name, entry] of Object.entries(manifest.files)) {
    if (name === STATE_FILE) {
      let raw: Uint8Array;
      try {
        raw = await files.readSmall(name, MAX_STATE_BYTES);
      } catch (error) {
        problems.push(problemFromError(name, error));
        continue;
      }
      bytes += raw.byteLength;
      if (raw.byteLength !== entry.bytes) {
        problems.push({
          file: name,
          kind: "size",
          message: messages.fileSize(name, entry.bytes, raw.byteLength),
          expected: entry.bytes,
          actual: raw.byteLength,
        });
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
    const problem = await checkDataFile(files, name, entry, buffer);
    if (problem) problems.push(problem);
    else bytes += entry.bytes;
  }
  return { manifest, problems, bytes };
}

/**
 * The safetensors reader. It reads the 8-byte length, then the header, validates it (header.ts),
 * and only then reads each tensor straight into a typed array of its own: peak memory is the
 * tensors themselves, with no whole-file buffer and no second copy of a large tensor. Runs of
 * small tensors are read together through one staging buffer (at most READ_CHUNK_BYTES): each read
 * is a round trip to libuv's thread pool (~50 µs), which for the hundreds of small tensors of a
 * model's biases and norms cost more than copying them. Every byte of the file passes through
 * `observe` exactly once, in file order, so the store hashes while it reads.
 */
import { NbresumeError, isNbresumeError } from "../../errors.js";
import { type Tensor, type TensorData, type TensorGroup, allocate } from "../../tensor.js";
import { DTYPE_OF, ELEMENT_BYTES } from "./dtypes.js";
import { assertLittleEndian } from "./endianness.js";
import { parseHeader, readHeaderLength } from "./header.js";
import { SafetensorsErrorCode as Code, safetensorsMessages as msg } from "./messages.js";
import { setOwn } from "../../shared/own-record.js";
import type { ByteSource, HeaderEntry, ReadSafetensorsOptions, SafetensorsFile } from "./safetensors.js";

/**
 * Tensors are read in pieces of at most this size, each handed to `observe` right after it
 * lands, so a hashing observer reads bytes that are still in cache.
 */
export const READ_CHUNK_BYTES = 8 * 1024 * 1024;

/** Tensors smaller than this are read with their neighbours (copied out of the staging buffer). */
export const SMALL_TENSOR_BYTES = 256 * 1024;

const isSmall = (entry: HeaderEntry): boolean => entry.end - entry.begin < SMALL_TENSOR_BYTES;

function allocateFor(entry: HeaderEntry, where: string): TensorData {
  const bytes = entry.end - entry.begin;
  try {
    return allocate(DTYPE_OF[entry.dtype], bytes / ELEMENT_BYTES[entry.dtype]);
  } catch (e) {
    throw new NbresumeError(Code.ALLOCATION_FAILED, msg.allocationFailed(where, entry.name, bytes), { where, cause: e });
  }
}

function toTensor(entry: HeaderEntry, data: TensorData): Tensor {
  return { dtype: DTYPE_OF[entry.dtype], shape: entry.shape, data };
}

async function readInto(source: ByteSource, into: Uint8Array, position: number, where: string): Promise<void> {
  try {
    await source.read(into, position);
  } catch (e) {
    if (isNbresumeError(e) && e.where === where) throw e;
    // The reader asks only for ranges inside the validated size, so a source that ends early
    // changed underneath us; sources do not know the file's name, so say it here.
    const [code, message] = isNbresumeError(e, Code.TRUNCATED)
      ? [Code.TRUNCATED, msg.sourceEnded(where, position, into.byteLength, source.size)]
      : [Code.READ_FAILED, msg.readFailed(where, position, into.byteLength, e)];
    throw new NbresumeError(code, message, { where, cause: e });
  }
}

/**
 * Reads a whole safetensors file from `source`. Throws NbresumeError (SAFETENSORS_* code,
 * `where` = options.where) for any malformed, truncated or unreadable file.
 */
export async function readSafetensors(source: ByteSource, options: ReadSafetensorsOptions = {}): Promise<SafetensorsFile> {
  assertLittleEndian();
  const where = options.where ?? "safetensors file";
  const observe = options.observe;
  const size = source.size;

  // The 8-byte length first, validated against the cap and the size before the header is allocated.
  const first = new Uint8Array(8);
  if (size >= 8) await readInto(source, first, 0, where);
  const n = readHeaderLength(first, size, where);
  const prefix = new Uint8Array(8 + n);
  prefix.set(first);
  await readInto(source, prefix.subarray(8), 8, where);
  const header = parseHeader(prefix, size, where);
  observe?.(prefix);
  await options.beforeAllocate?.(header);

  const tensors: TensorGroup = {};
  const entries = header.entries; // in file order
  let staging: Uint8Array | undefined;
  for (let i = 0; i < entries.length;) {
    const entry = entries[i]!;
    if (!isSmall(entry)) {
      const data = allocateFor(entry, where);
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      for (let at = 0; at < bytes.byteLength; at += READ_CHUNK_BYTES) {
        const chunk = bytes.subarray(at, Math.min(at + READ_CHUNK_BYTES, bytes.byteLength));
        await readInto(source, chunk, entry.begin + at, where);
        observe?.(chunk);
      }
      setOwn(tensors, entry.name, toTensor(entry, data));
      i++;
      continue;
    }
    // A run of small tensors, adjacent in the file (offsets are contiguous), in one read.
    let j = i + 1;
    while (j < entries.length && isSmall(entries[j]!) && entries[j]!.end - entry.begin <= READ_CHUNK_BYTES) j++;
    const span = entries[j - 1]!.end - entry.begin;
    staging ??= new Uint8Array(Math.min(READ_CHUNK_BYTES, size));
    const run = staging.subarray(0, span);
    await readInto(source, run, entry.begin, where);
    observe?.(run);
    for (; i < j; i++) {
      const small = entries[i]!;
      const data = allocateFor(small, where);
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(run.subarray(small.begin - entry.begin, small.end - entry.begin));
      setOwn(tensors, small.name, toTensor(small, data));
    }
  }
  return { tensors, metadata: header.metadata };
}

/**
 * Parses a whole safetensors file already in memory (tests, fuzzing). Each tensor gets its own
 * copy of its bytes, so the result does not keep `bytes` alive.
 */
export function parseSafetensors(bytes: Uint8Array, where = "safetensors data"): SafetensorsFile {
  assertLittleEndian();
  const header = parseHeader(bytes, bytes.byteLength, where);
  const tensors: TensorGroup = {};
  for (const entry of header.entries) {
    const data = allocateFor(entry, where);
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(bytes.subarray(entry.begin, entry.end));
    setOwn(tensors, entry.name, toTensor(entry, data));
  }
  return { tensors, metadata: header.metadata };
}

/**
 * The two ByteSources the reader pulls from: an open file (read in place, positioned reads,
 * no whole-file buffer) and bytes already in memory (tests, fuzzing).
 */
import type { FileHandle } from "node:fs/promises";
import { NbresumeError } from "../../errors.js";
import { SafetensorsErrorCode, safetensorsMessages } from "./messages.js";
import type { ByteSource } from "./safetensors.js";

/** fs reads are capped at 2^31 - 1 bytes per call; stay well below. */
const MAX_READ_BYTES = 1 << 30;

function checkRange(into: Uint8Array, position: number, size: number): void {
  if (!Number.isSafeInteger(position) || position < 0) {
    throw new RangeError(`ByteSource.read: position must be a non-negative integer, got ${position}.`);
  }
  if (into.byteLength > size - position) {
    // Not a caller bug: the reader only asks for ranges it validated against `size`.
    throw new NbresumeError(SafetensorsErrorCode.TRUNCATED, safetensorsMessages.sourceEnded("source", position, into.byteLength, size));
  }
}

/**
 * Reads from an open file handle. `size` is the size the caller stat'ed; if the file turns out
 * shorter while reading (changed underneath), the read rejects with SAFETENSORS_TRUNCATED.
 */
export function fileByteSource(fh: FileHandle, size: number, where = "file"): ByteSource {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`fileByteSource: size must be a non-negative integer, got ${size}.`);
  }
  return {
    size,
    async read(into: Uint8Array, position: number): Promise<void> {
      checkRange(into, position, size);
      let filled = 0;
      while (filled < into.byteLength) {
        const length = Math.min(into.byteLength - filled, MAX_READ_BYTES);
        const { bytesRead } = await fh.read(into, filled, length, position + filled);
        if (bytesRead === 0) {
          throw new NbresumeError(SafetensorsErrorCode.TRUNCATED, safetensorsMessages.sourceEnded(where, position + filled, into.byteLength - filled, size), {
            where,
          });
        }
        filled += bytesRead;
      }
    },
  };
}

/** Reads from bytes in memory (copied out on each read, as a file read would). */
export function memoryByteSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.byteLength,
    read(into: Uint8Array, position: number): Promise<void> {
      try {
        checkRange(into, position, bytes.byteLength);
      } catch (e) {
        return Promise.reject(e);
      }
      into.set(bytes.subarray(position, position + into.byteLength));
      return Promise.resolve();
    },
  };
}

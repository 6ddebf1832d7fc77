/**
 * Reading a data file for a dataset constructor: whole (binary formats) or as text in chunks
 * (CSV, JSON Lines), hashing every byte as it passes so the dataset's `info` can say exactly which
 * file it was made from. Every failure to open or read is NbresumeError DATA_FILE_UNREADABLE
 * naming the path, so no constructor has to wrap fs errors itself.
 */
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { createHash, hashBytes } from "../../checkpoint/hash.js";
import { NbresumeError } from "../../errors.js";
import type { JsonObject } from "../nn/json.js";
import { DataErrorCode, dataMessages as msg } from "./messages.js";

/** Read size for streamed text: large enough that per-chunk overhead is noise. */
const CHUNK_BYTES = 1 << 20;

/** What a dataset's `info.source` records of its file: its name, size and xxh64 hash. */
export interface FileSource {
  readonly format: string;
  readonly file: string;
  readonly bytes: number;
  readonly hash: string;
}

export function sourceInfo(source: FileSource): JsonObject {
  return { format: source.format, file: source.file, bytes: source.bytes, hash: source.hash };
}

export function unreadable(path: string, cause: unknown): NbresumeError {
  const e = cause as NodeJS.ErrnoException;
  const detail = e?.code === "ENOENT" ? "no such file" : e?.code === "EISDIR" ? "it is a directory" : String(e?.message ?? cause);
  return new NbresumeError(DataErrorCode.FILE_UNREADABLE, msg.fileUnreadable(path, detail, process.cwd()), { where: path, cause });
}

/** The whole file, and its FileSource. */
export async function readDataFile(path: string, format: string): Promise<{ bytes: Uint8Array; source: FileSource }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw unreadable(path, cause);
  }
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { bytes: view, source: { format, file: basename(path), bytes: view.byteLength, hash: hashBytes(view) } };
}

/**
 * Streams the file as UTF-8 text, chunk by chunk, to `onText` (a character split across chunks
 * arrives whole). An exception from `onText` stops the read and propagates unchanged.
 */
export async function streamTextFile(path: string, format: string, onText: (text: string) => void): Promise<FileSource> {
  const hash = createHash();
  const decoder = new StringDecoder("utf8");
  let bytes = 0;
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  let parsing = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.byteLength;
      const text = decoder.write(chunk);
      parsing = true;
      if (text.length > 0) onText(text);
      parsing = false;
    }
  } catch (cause) {
    // The parser's own errors pass through; only the stream's are "cannot read".
    if (parsing) throw cause;
    throw unreadable(path, cause);
  } finally {
    stream.destroy();
  }
  const rest = decoder.end();
  if (rest.length > 0) onText(rest);
  return { format, file: basename(path), bytes, hash: hash.digest() };
}

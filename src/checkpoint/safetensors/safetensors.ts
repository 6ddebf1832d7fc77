/**
 * The safetensors format, as the checkpoint store uses it (interface only; reader.ts and
 * writer.ts implement it). Spec: 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON
 * `{ "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, "__metadata__": {..} }`,
 * then the data: little-endian, row-major, offsets relative to the end of the header.
 */
import type { TensorGroup } from "../../tensor.js";

export type SafetensorsDType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

/** Where the writer puts bytes, in file order. The store wraps a file handle and a hasher. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
}

/** Random-access bytes the reader pulls from: a file handle, or memory in tests. */
export interface ByteSource {
  readonly size: number;
  /** Fill `into` completely from `position`; reject if the source ends first. */
  read(into: Uint8Array, position: number): Promise<void>;
}

export interface SafetensorsFile {
  readonly tensors: TensorGroup;
  readonly metadata: Readonly<Record<string, string>>;
}

/** What the header says, validated, before any data is read. */
export interface HeaderEntry {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** Absolute byte range in the file. */
  readonly begin: number;
  readonly end: number;
}

export interface ParsedHeader {
  /** 8 + header length: where the data section starts. */
  readonly dataStart: number;
  /** Entries in data order (ascending offsets). */
  readonly entries: readonly HeaderEntry[];
  readonly metadata: Readonly<Record<string, string>>;
}

/** What a group of tensors will look like on disk, computed before writing a byte. */
export interface SafetensorsLayout {
  /** The file's first bytes: the 8-byte little-endian header length, then the space-padded JSON. */
  readonly header: Uint8Array;
  /** 8 + header length: where the data section starts. */
  readonly dataStart: number;
  /** Entries in data order (the reference writer's order), absolute byte ranges. */
  readonly entries: readonly HeaderEntry[];
  /** The exact size of the file, header included. */
  readonly fileSize: number;
}

export interface ReadSafetensorsOptions {
  /** Names the file in error messages and in NbresumeError.where (e.g. its path). */
  readonly where?: string;
  /** Called with every byte of the file exactly once, in file order (in chunks, valid only during the call); the store hashes here. */
  readonly observe?: (chunk: Uint8Array) => void;
  /**
   * Called with the validated header before any tensor is allocated; throw (or reject) to refuse
   * the file. The store checks sizes against what the caller's model expects here.
   */
  readonly beforeAllocate?: (header: ParsedHeader) => void | Promise<void>;
}

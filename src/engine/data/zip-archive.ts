/**
 * The entries of a zip archive held in memory (an .npz), read as untrusted input: the end record
 * must end the file exactly, the central directory must end where the end record (or its zip64
 * record) begins, every offset and size is bounds-checked before use, entries may not overlap
 * or leave gaps, names must be plain `<name>.npy` (no paths, `..`, control characters or
 * duplicates), entry counts are capped, and each entry is inflated to at most its declared size
 * and checked against its CRC-32. Stored (0) and deflated (8) entries are read, with zip64 sizes
 * and offsets (numpy writes zip64 local headers); encryption and split archives are refused.
 */
import { constants as bufferConstants } from "node:buffer";
import { crc32, inflateRawSync } from "node:zlib";
import { NbresumeError } from "../../errors.js";
import { DataErrorCode, type DataErrorCodeValue, dataMessages as msg } from "./messages.js";

/** More arrays than any dataset has columns; a cap on work done before the first entry is read. */
export const MAX_ZIP_ENTRIES = 4096;

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_BYTES = 22;
const ZIP64_LOCATOR_BYTES = 20;
const ZIP64_EOCD_BYTES = 56;
const CENTRAL_BYTES = 46;
const LOCAL_BYTES = 30;
const MAX_COMMENT = 0xffff;
/** A data descriptor: CRC and sizes (32- or 64-bit), with or without its signature. */
const DESCRIPTOR_BYTES = [12, 16, 20, 24];

export interface ZipEntry {
  readonly name: string;
  /** 0 stored, 8 deflated. */
  readonly method: 0 | 8;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  /** Where the entry's (compressed) bytes start. */
  readonly dataStart: number;
}

function fail(code: DataErrorCodeValue, message: string, file: string, cause?: unknown): NbresumeError {
  return new NbresumeError(code, message, cause === undefined ? { where: file } : { where: file, cause });
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Reads little-endian integers, refusing any read past the end of the bytes. */
class Reader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    private readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  check(at: number, length: number, what: string): void {
    if (!(at >= 0 && length >= 0 && at <= this.bytes.byteLength - length)) {
      throw fail(
        DataErrorCode.ZIP_INVALID,
        msg.zipInvalid(this.file, `${what} (${length} bytes at offset ${at}) lies outside the file (${this.bytes.byteLength} bytes)`),
        this.file,
      );
    }
  }

  u16(at: number): number {
    return this.view.getUint16(at, true);
  }

  u32(at: number): number {
    return this.view.getUint32(at, true);
  }

  /** A u64 that must be a safe integer (an offset or size within this file's reach). */
  u64(at: number, what: string): number {
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(this.file, `${what} is ${v}, beyond any file`), this.file);
    }
    return Number(v);
  }
}

interface Directory {
  readonly entries: number;
  readonly offset: number;
  readonly size: number;
  /** Where the central directory must end: the (zip64) end record. */
  readonly end: number;
}

/** Finds the end record: the last one whose comment reaches exactly to the end of the file. */
function findDirectory(r: Reader, file: string): Directory {
  const size = r.bytes.byteLength;
  if (size < EOCD_BYTES) throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, `it is ${size} bytes, shorter than a zip end record`), file);
  let eocd = -1;
  for (let at = size - EOCD_BYTES; at >= Math.max(0, size - EOCD_BYTES - MAX_COMMENT); at--) {
    if (r.u32(at) === EOCD_SIGNATURE && at + EOCD_BYTES + r.u16(at + 20) === size) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, "no end-of-central-directory record ends the file"), file);
  const disk = r.u16(eocd + 4);
  const directoryDisk = r.u16(eocd + 6);
  let onDisk = r.u16(eocd + 8);
  let entries = r.u16(eocd + 10);
  let dirSize = r.u32(eocd + 12);
  let dirOffset = r.u32(eocd + 16);
  let end = eocd;
  let spans = disk !== 0 || directoryDisk !== 0 || onDisk !== entries;
  if (entries === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff || onDisk === 0xffff) {
    const locator = eocd - ZIP64_LOCATOR_BYTES;
    r.check(locator, ZIP64_LOCATOR_BYTES, "the zip64 end-record locator");
    if (r.u32(locator) !== ZIP64_LOCATOR_SIGNATURE)
      throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, "the end record needs a zip64 locator, which is missing"), file);
    const at = r.u64(locator + 8, "the zip64 end record's offset");
    r.check(at, ZIP64_EOCD_BYTES, "the zip64 end record");
    if (r.u32(at) !== ZIP64_EOCD_SIGNATURE) throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, "no zip64 end record where its locator points"), file);
    const recordEnd = at + 12 + r.u64(at + 4, "the zip64 end record's size");
    if (recordEnd !== locator) throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, "the zip64 end record does not end where its locator begins"), file);
    spans ||= r.u32(locator + 4) !== 0 || r.u32(locator + 16) > 1 || r.u32(at + 16) !== 0 || r.u32(at + 20) !== 0;
    onDisk = r.u64(at + 24, "the zip64 entry count on this disk");
    entries = r.u64(at + 32, "the zip64 entry count");
    dirSize = r.u64(at + 40, "the zip64 central directory size");
    dirOffset = r.u64(at + 48, "the zip64 central directory offset");
    spans ||= onDisk !== entries;
    end = at;
  }
  if (spans) throw fail(DataErrorCode.ZIP_UNSUPPORTED, msg.zipUnsupported(file, "(the archive)", "several disks (a split archive)"), file);
  if (entries > MAX_ZIP_ENTRIES) throw fail(DataErrorCode.ZIP_TOO_MANY_ENTRIES, msg.zipTooManyEntries(file, entries, MAX_ZIP_ENTRIES), file);
  if (dirOffset + dirSize !== end) {
    throw fail(
      DataErrorCode.ZIP_INVALID,
      msg.zipInvalid(file, `the central directory (${dirSize} bytes at ${dirOffset}) does not end where the end record begins (${end})`),
      file,
    );
  }
  if (entries * CENTRAL_BYTES > dirSize) {
    throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, `${entries} entries cannot fit in a ${dirSize}-byte central directory`), file);
  }
  return { entries, offset: dirOffset, size: dirSize, end };
}

/** The zip64 extra field's sizes and offset, for the fields the fixed header left at 0xFFFFFFFF. */
function zip64Extra(
  r: Reader,
  at: number,
  length: number,
  need: { size: boolean; compressed: boolean; offset: boolean },
  name: string,
  file: string,
): { size?: number; compressed?: number; offset?: number } {
  const end = at + length;
  let p = at;
  while (p + 4 <= end) {
    const id = r.u16(p);
    const n = r.u16(p + 2);
    if (p + 4 + n > end) break;
    if (id === 0x0001) {
      const out: { size?: number; compressed?: number; offset?: number } = {};
      let q = p + 4;
      const take = (what: string): number => {
        if (q + 8 > p + 4 + n)
          throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, `entry ${JSON.stringify(name)}'s zip64 field lacks its ${what}`), file);
        const v = r.u64(q, `entry ${JSON.stringify(name)}'s zip64 ${what}`);
        q += 8;
        return v;
      };
      if (need.size) out.size = take("size");
      if (need.compressed) out.compressed = take("compressed size");
      if (need.offset) out.offset = take("offset");
      return out;
    }
    p += 4 + n;
  }
  if (p !== end) throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, `entry ${JSON.stringify(name)} has a malformed extra field`), file);
  if (need.size || need.compressed || need.offset)
    throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, `entry ${JSON.stringify(name)} needs a zip64 extra field, which is missing`), file);
  return {};
}

function checkName(name: string, file: string, seen: Set<string>): void {
  const bad = (problem: string): never => {
    throw fail(DataErrorCode.ZIP_ENTRY_NAME, msg.zipEntryName(file, name, problem), file);
  };
  // eslint-disable-next-line no-control-regex -- a control character in a member name is what it rejects
  if (/[\u0000-\u001f\u007f]/.test(name)) bad("holds a control character");
  if (name.includes("/") || name.includes("\\")) bad("is a path (it holds a slash): a directory, or a name that could escape one");
  if (name === "." || name === ".." || name.startsWith("..")) bad('starts with ".."');
  if (!name.endsWith(".npy") || name.length === 4) bad('is not a "<name>.npy" array');
  if (seen.has(name)) bad("appears twice");
  seen.add(name);
}

/** Lists the entries of the archive in `bytes`, validating its whole structure first. */
export function listZipEntries(bytes: Uint8Array, file: string): ZipEntry[] {
  const r = new Reader(bytes, file);
  const dir = findDirectory(r, file);
  const entries: (ZipEntry & { headerStart: number; dataEnd: number; descriptor: boolean })[] = [];
  const seen = new Set<string>();
  let p = dir.offset;
  for (let i = 0; i < dir.entries; i++) {
    r.check(p, CENTRAL_BYTES, `central directory entry ${i}`);
    if (r.u32(p) !== CENTRAL_SIGNATURE)
      throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, `central directory entry ${i} (at ${p}) has no entry signature`), file);
    const flags = r.u16(p + 8);
    const method = r.u16(p + 10);
    const crc = r.u32(p + 16);
    let compressedSize = r.u32(p + 20);
    let size = r.u32(p + 24);
    const nameLength = r.u16(p + 28);
    const extraLength = r.u16(p + 30);
    const commentLength = r.u16(p + 32);
    const disk = r.u16(p + 34);
    let headerStart = r.u32(p + 42);
    const next = p + CENTRAL_BYTES + nameLength + extraLength + commentLength;
    if (next > dir.offset + dir.size)
      throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, `central directory entry ${i} runs past the directory's end`), file);
    const rawName = bytes.subarray(p + CENTRAL_BYTES, p + CENTRAL_BYTES + nameLength);
    let name: string;
    try {
      name = utf8.decode(rawName);
    } catch (e) {
      throw fail(DataErrorCode.ZIP_ENTRY_NAME, msg.zipEntryName(file, `entry ${i}`, "is not UTF-8"), file, e);
    }
    const extra = zip64Extra(
      r,
      p + CENTRAL_BYTES + nameLength,
      extraLength,
      { size: size === 0xffffffff, compressed: compressedSize === 0xffffffff, offset: headerStart === 0xffffffff },
      name,
      file,
    );
    size = extra.size ?? size;
    compressedSize = extra.compressed ?? compressedSize;
    headerStart = extra.offset ?? headerStart;
    if (flags & 0x41 || flags & 0x2000) throw fail(DataErrorCode.ZIP_UNSUPPORTED, msg.zipUnsupported(file, name, "encryption"), file);
    if (method !== 0 && method !== 8)
      throw fail(DataErrorCode.ZIP_UNSUPPORTED, msg.zipUnsupported(file, name, `compression method ${method} (only stored and deflate are read)`), file);
    if (disk !== 0 && disk !== 0xffff) throw fail(DataErrorCode.ZIP_UNSUPPORTED, msg.zipUnsupported(file, name, "several disks (a split archive)"), file);
    checkName(name, file, seen);
    if (method === 0 && compressedSize !== size) {
      throw fail(
        DataErrorCode.ZIP_CORRUPT,
        msg.zipCorrupt(file, name, `it is stored (not compressed) but lists ${compressedSize} stored and ${size} actual bytes`),
        file,
      );
    }
    if (size > bufferConstants.MAX_LENGTH)
      throw fail(DataErrorCode.ZIP_CORRUPT, msg.zipCorrupt(file, name, `its declared size (${size} bytes) is beyond what one array can hold`), file);

    // The local header: same name, and the data inside the part of the file before the directory.
    r.check(headerStart, LOCAL_BYTES, `entry ${JSON.stringify(name)}'s local header`);
    if (headerStart + LOCAL_BYTES > dir.offset || r.u32(headerStart) !== LOCAL_SIGNATURE) {
      throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, `entry ${JSON.stringify(name)} has no local header at offset ${headerStart}`), file);
    }
    const localName = r.u16(headerStart + 26);
    const localExtra = r.u16(headerStart + 28);
    const dataStart = headerStart + LOCAL_BYTES + localName + localExtra;
    if (localName !== nameLength || !bytes.subarray(headerStart + LOCAL_BYTES, headerStart + LOCAL_BYTES + localName).every((b, k) => b === rawName[k])) {
      throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, `entry ${JSON.stringify(name)}'s local header names another file`), file);
    }
    const dataEnd = dataStart + compressedSize;
    if (dataEnd > dir.offset)
      throw fail(
        DataErrorCode.ZIP_INVALID,
        msg.zipInvalid(file, `entry ${JSON.stringify(name)}'s data (${compressedSize} bytes at ${dataStart}) runs into the central directory`),
        file,
      );
    entries.push({ name, method, crc32: crc, compressedSize, size, dataStart, headerStart, dataEnd, descriptor: (flags & 0x08) !== 0 });
    p = next;
  }
  if (p !== dir.offset + dir.size)
    throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, `the central directory holds ${dir.offset + dir.size - p} bytes after its last entry`), file);

  // Entries must tile the space before the directory: no overlap (one byte range read as two
  // entries is a zip-bomb trick), no unexplained gap (only a data descriptor, 12 to 24 bytes,
  // may follow an entry that announces one).
  const sorted = [...entries].sort((x, y) => x.headerStart - y.headerStart);
  let cursor = 0;
  let descriptor = false;
  const gapOk = (gap: number): boolean => gap === 0 || (descriptor && DESCRIPTOR_BYTES.includes(gap));
  for (const e of sorted) {
    const gap = e.headerStart - cursor;
    if (gap < 0) throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, `entry ${JSON.stringify(e.name)} overlaps the entry before it`), file);
    if (!gapOk(gap)) throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, `${gap} unexplained bytes precede entry ${JSON.stringify(e.name)}`), file);
    cursor = e.dataEnd;
    descriptor = e.descriptor;
  }
  if (!gapOk(dir.offset - cursor))
    throw fail(DataErrorCode.ZIP_INVALID, msg.zipInvalid(file, `${dir.offset - cursor} unexplained bytes precede the central directory`), file);
  return entries.map(({ name, method, crc32: c, compressedSize, size, dataStart }) => ({ name, method, crc32: c, compressedSize, size, dataStart }));
}

/** An entry's uncompressed bytes, checked against its declared size and CRC-32. */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, file: string): { data: Uint8Array; owned: boolean } {
  const stored = bytes.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
  let data: Uint8Array;
  let owned = false;
  if (entry.method === 0) {
    data = stored;
  } else {
    try {
      data = entry.size === 0 ? new Uint8Array(0) : inflateRawSync(stored, { maxOutputLength: entry.size });
      owned = true;
    } catch (e) {
      const tooLong = (e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE";
      const problem = tooLong ? `it inflates to more than its declared ${entry.size} bytes` : `its deflate data does not inflate (${(e as Error).message})`;
      throw fail(DataErrorCode.ZIP_CORRUPT, msg.zipCorrupt(file, entry.name, problem), file, e);
    }
  }
  if (data.byteLength !== entry.size) {
    throw fail(DataErrorCode.ZIP_CORRUPT, msg.zipCorrupt(file, entry.name, `it holds ${data.byteLength} bytes, its header says ${entry.size}`), file);
  }
  if (crc32(data) >>> 0 !== entry.crc32) {
    throw fail(DataErrorCode.ZIP_CORRUPT, msg.zipCorrupt(file, entry.name, "its CRC-32 does not match its bytes"), file);
  }
  return { data, owned };
}

/**
 * One test per SAFETENSORS_* error code, each from bytes built by hand. Every case goes through
 * both the in-memory parser and the streaming reader, which must agree, name the file given as
 * `where`, and say what to do.
 */
import { strict as assert } from "node:assert";
import { mkdtemp, open, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NbresumeError } from "../../../src/errors.js";
import {
  MAX_HEADER_BYTES,
  SAFETENSORS_DTYPES,
  SafetensorsErrorCode as Code,
  type SafetensorsErrorCodeValue,
  fileByteSource,
  memoryByteSource,
  parseHeader,
  parseSafetensors,
  readSafetensors,
  safetensorsMessages as msg,
} from "../../../src/checkpoint/safetensors/index.js";
import { OTHER_FORMAT_DTYPES } from "../../../src/checkpoint/safetensors/dtypes.js";

const WHERE = "/runs/mnist/ckpt-step-00000007-rolling/model.safetensors";

/** [u64 LE length][header][data]; `length` overrides the length field. */
function file(header: string | Uint8Array, data: number | Uint8Array = 0, length?: bigint): Uint8Array {
  const h = typeof header === "string" ? Buffer.from(header, "utf8") : header;
  const d = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.byteLength + d.byteLength);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(h.byteLength), true);
  out.set(h, 8);
  out.set(d, 8 + h.byteLength);
  return out;
}

function entry(dtype: string, shape: number[], begin: number, end: number): string {
  return JSON.stringify({ dtype, shape, data_offsets: [begin, end] });
}

/** Both readers reject `bytes` with `code`, naming WHERE; returns the error for message checks. */
async function rejects(bytes: Uint8Array, code: SafetensorsErrorCodeValue): Promise<NbresumeError> {
  let syncError: unknown;
  try {
    parseSafetensors(bytes, WHERE);
  } catch (e) {
    syncError = e;
  }
  assert.ok(syncError instanceof NbresumeError, `parseSafetensors threw ${String(syncError)}`);
  assert.equal(syncError.code, code, syncError.message);
  assert.equal(syncError.where, WHERE);
  assert.ok(syncError.message.startsWith(`${WHERE}: `), syncError.message);
  const syncMessage = syncError.message;
  await assert.rejects(readSafetensors(memoryByteSource(bytes), { where: WHERE }), (e: unknown) => {
    assert.ok(e instanceof NbresumeError);
    assert.equal(e.code, code);
    assert.equal(e.message, syncMessage);
    return true;
  });
  return syncError;
}

describe("safetensors reader errors", () => {
  it("SAFETENSORS_TOO_SHORT: fewer than 8 bytes", async () => {
    const e = await rejects(new Uint8Array(7), Code.TOO_SHORT);
    assert.equal(e.message, msg.tooShort(WHERE, 7));
    await rejects(new Uint8Array(0), Code.TOO_SHORT);
  });

  it("SAFETENSORS_HEADER_TOO_LARGE: a length field over the 100 MB cap, up to 2^64 - 1, is refused before allocating", async () => {
    const e = await rejects(file("{}", 0, BigInt(MAX_HEADER_BYTES) + 1n), Code.HEADER_TOO_LARGE);
    assert.equal(e.message, msg.headerTooLarge(WHERE, BigInt(MAX_HEADER_BYTES) + 1n, MAX_HEADER_BYTES));
    await rejects(file("{}", 0, 2n ** 60n), Code.HEADER_TOO_LARGE);
    await rejects(file("{}", 0, 2n ** 64n - 1n), Code.HEADER_TOO_LARGE);
    await rejects(file("{}", 0, BigInt(Number.MAX_SAFE_INTEGER) + 2n), Code.HEADER_TOO_LARGE);
  });

  it("SAFETENSORS_HEADER_LENGTH_INVALID: a length field pointing past the end of the file", async () => {
    const e = await rejects(file("{}      ", 0, 9n), Code.HEADER_LENGTH_INVALID);
    assert.equal(e.message, msg.headerLengthInvalid(WHERE, 9, 16));
  });

  it("SAFETENSORS_HEADER_NOT_UTF8: invalid, overlong and surrogate UTF-8 sequences", async () => {
    const e = await rejects(file(new Uint8Array([0x7b, 0xff, 0x7d])), Code.HEADER_NOT_UTF8);
    assert.equal(e.message, msg.headerNotUtf8(WHERE));
    await rejects(file(new Uint8Array([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x7d])), Code.HEADER_NOT_UTF8); // overlong "/"
    await rejects(file(new Uint8Array([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d])), Code.HEADER_NOT_UTF8); // U+D800
    await rejects(file(new Uint8Array([0x7b, 0x22, 0xe5, 0xb1])), Code.HEADER_NOT_UTF8); // cut mid-character
  });

  it("SAFETENSORS_HEADER_NOT_JSON: broken JSON, an empty header, a byte-order mark, trailing garbage", async () => {
    const e = await rejects(file("{not json}"), Code.HEADER_NOT_JSON);
    assert.ok(e.message.includes("is not valid JSON"));
    assert.ok(e.cause instanceof SyntaxError);
    await rejects(file(""), Code.HEADER_NOT_JSON);
    await rejects(file("\ufeff{}"), Code.HEADER_NOT_JSON);
    await rejects(file("{}}"), Code.HEADER_NOT_JSON);
    await rejects(file("{}\u0000"), Code.HEADER_NOT_JSON);
  });

  it("SAFETENSORS_HEADER_NOT_OBJECT: a JSON array, null, number or string", async () => {
    const e = await rejects(file("[]"), Code.HEADER_NOT_OBJECT);
    assert.equal(e.message, msg.headerNotObject(WHERE, "an array"));
    await rejects(file("null"), Code.HEADER_NOT_OBJECT);
    await rejects(file("12345678"), Code.HEADER_NOT_OBJECT);
    await rejects(file('"{}"'), Code.HEADER_NOT_OBJECT);
  });

  it("SAFETENSORS_DUPLICATE_KEY: a tensor named twice, also when spelled with escapes, or a key repeated inside an entry", async () => {
    const twice = `{"a":${entry("U8", [1], 0, 1)},"a":${entry("U8", [1], 0, 1)}}`;
    const e = await rejects(file(twice, 1), Code.DUPLICATE_KEY);
    assert.equal(e.message, msg.duplicateKey(WHERE, "a"));
    await rejects(file(`{"a":${entry("U8", [1], 0, 1)},"\\u0061":${entry("U8", [1], 1, 2)}}`, 2), Code.DUPLICATE_KEY);
    await rejects(file('{"a":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1), Code.DUPLICATE_KEY);
    await rejects(file(`{"__metadata__":{"k":"1","k":"2"},"a":${entry("U8", [1], 0, 1)}}`, 1), Code.DUPLICATE_KEY);
  });

  it("SAFETENSORS_METADATA_INVALID: __metadata__ that is not an object of strings", async () => {
    const e = await rejects(file('{"__metadata__":{"step":12}}'), Code.METADATA_INVALID);
    assert.equal(e.message, msg.metadataInvalid(WHERE, '"step" is a number'));
    await rejects(file('{"__metadata__":["a"]}'), Code.METADATA_INVALID);
    await rejects(file('{"__metadata__":null}'), Code.METADATA_INVALID);
    await rejects(file('{"__metadata__":"x"}'), Code.METADATA_INVALID);
    await rejects(file('{"__metadata__":{"k":{"nested":"v"}}}'), Code.METADATA_INVALID);
  });

  it("SAFETENSORS_ENTRY_INVALID: an entry that is not an object, lacks a field, or has an extra one", async () => {
    const e = await rejects(file('{"w":{"dtype":"F32","shape":[1]}}', 4), Code.ENTRY_INVALID);
    assert.equal(e.message, msg.entryInvalid(WHERE, "w", 'it lacks "data_offsets"'));
    await rejects(file('{"w":[1,2,3]}'), Code.ENTRY_INVALID);
    await rejects(file('{"w":null}'), Code.ENTRY_INVALID);
    await rejects(file('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}', 4), Code.ENTRY_INVALID);
  });

  it("SAFETENSORS_DTYPE_UNKNOWN: an unknown dtype, a lower-case one, a non-string, and a format dtype nbresume does not load", async () => {
    const e = await rejects(file(`{"w":${entry("F33", [1], 0, 4)}}`, 4), Code.DTYPE_UNKNOWN);
    assert.equal(e.message, msg.dtypeUnknown(WHERE, "w", "F33", SAFETENSORS_DTYPES, OTHER_FORMAT_DTYPES));
    await rejects(file(`{"w":${entry("f32", [1], 0, 4)}}`, 4), Code.DTYPE_UNKNOWN);
    await rejects(file('{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}', 4), Code.DTYPE_UNKNOWN);
    const u16 = await rejects(file(`{"w":${entry("U16", [2], 0, 4)}}`, 4), Code.DTYPE_UNKNOWN);
    assert.ok(u16.message.includes("nbresume does not load"), u16.message);
  });

  it("SAFETENSORS_SHAPE_INVALID: negative, fractional, non-number, -0 and unsafe dimensions, or no array", async () => {
    const e = await rejects(file(`{"w":${entry("U8", [-1], 0, 0)}}`), Code.SHAPE_INVALID);
    assert.equal(e.message, msg.shapeInvalid(WHERE, "w", [-1]));
    await rejects(file(`{"w":${entry("U8", [1.5], 0, 1)}}`, 1), Code.SHAPE_INVALID);
    await rejects(file('{"w":{"dtype":"U8","shape":["1"],"data_offsets":[0,1]}}', 1), Code.SHAPE_INVALID);
    await rejects(file('{"w":{"dtype":"U8","shape":[-0],"data_offsets":[0,0]}}'), Code.SHAPE_INVALID);
    await rejects(file('{"w":{"dtype":"U8","shape":[9007199254740993],"data_offsets":[0,1]}}', 1), Code.SHAPE_INVALID);
    await rejects(file('{"w":{"dtype":"U8","shape":[1e400],"data_offsets":[0,1]}}', 1), Code.SHAPE_INVALID);
    await rejects(file('{"w":{"dtype":"U8","shape":4,"data_offsets":[0,4]}}', 4), Code.SHAPE_INVALID);
  });

  it("SAFETENSORS_SIZE_OVERFLOW: an element count or byte size beyond 2^53 - 1", async () => {
    const e = await rejects(file(`{"w":${entry("U8", [2 ** 30, 2 ** 30], 0, 1)}}`, 1), Code.SIZE_OVERFLOW);
    assert.equal(e.message, msg.sizeOverflow(WHERE, "w", [2 ** 30, 2 ** 30]));
    // 2^51 elements fit, but 2^51 x 8 bytes does not.
    await rejects(file(`{"w":${entry("F64", [2 ** 51], 0, 1)}}`, 1), Code.SIZE_OVERFLOW);
    // As the reference's checked fold: an overflowing prefix fails even before a later 0.
    await rejects(file(`{"w":${entry("U8", [2 ** 30, 2 ** 30, 0], 0, 0)}}`), Code.SIZE_OVERFLOW);
  });

  it("SAFETENSORS_OFFSETS_INVALID: reversed, wrong length, negative or non-integer offsets", async () => {
    const e = await rejects(file(`{"w":${entry("U8", [0], 4, 0)}}`, 4), Code.OFFSETS_INVALID);
    assert.equal(e.message, msg.offsetsInvalid(WHERE, "w", [4, 0]));
    await rejects(file('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0]}}', 1), Code.OFFSETS_INVALID);
    await rejects(file('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}', 1), Code.OFFSETS_INVALID);
    await rejects(file('{"w":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}}', 1), Code.OFFSETS_INVALID);
    await rejects(file('{"w":{"dtype":"U8","shape":[1],"data_offsets":["0","1"]}}', 1), Code.OFFSETS_INVALID);
    await rejects(file('{"w":{"dtype":"U8","shape":[1],"data_offsets":{"0":0,"1":1}}}', 1), Code.OFFSETS_INVALID);
  });

  it("SAFETENSORS_SIZE_MISMATCH: offsets spanning other than shape x element size bytes", async () => {
    const e = await rejects(file(`{"w":${entry("F32", [2], 0, 4)}}`, 4), Code.SIZE_MISMATCH);
    assert.equal(e.message, msg.sizeMismatch(WHERE, "w", "F32", [2], 8, 4));
    await rejects(file(`{"w":${entry("I64", [], 0, 4)}}`, 4), Code.SIZE_MISMATCH);
    await rejects(file(`{"w":${entry("BF16", [0], 0, 2)}}`, 2), Code.SIZE_MISMATCH);
  });

  it("SAFETENSORS_NOT_CONTIGUOUS: a gap, an overlap, or data not starting at offset 0", async () => {
    const gap = `{"a":${entry("U8", [4], 0, 4)},"b":${entry("U8", [4], 8, 12)}}`;
    const e = await rejects(file(gap, 12), Code.NOT_CONTIGUOUS);
    assert.equal(e.message, msg.notContiguous(WHERE, "b", 8, 4));
    assert.ok(e.message.includes("a gap"));
    const overlap = `{"a":${entry("U8", [4], 0, 4)},"b":${entry("U8", [4], 2, 6)}}`;
    assert.ok((await rejects(file(overlap, 6), Code.NOT_CONTIGUOUS)).message.includes("an overlap"));
    await rejects(file(`{"a":${entry("U8", [4], 4, 8)}}`, 8), Code.NOT_CONTIGUOUS);
    // Two tensors claiming the same bytes.
    await rejects(file(`{"a":${entry("U8", [4], 0, 4)},"b":${entry("U8", [4], 0, 4)}}`, 4), Code.NOT_CONTIGUOUS);
  });

  it("accepts tensors listed out of data order, as files from other writers may be", () => {
    const bytes = file(`{"b":${entry("U8", [2], 2, 4)},"a":${entry("U8", [2], 0, 2)}}`, new Uint8Array([1, 2, 3, 4]));
    const { tensors } = parseSafetensors(bytes, WHERE);
    assert.deepEqual([...tensors["a"]!.data], [1, 2]);
    assert.deepEqual([...tensors["b"]!.data], [3, 4]);
  });

  it("SAFETENSORS_TRUNCATED: the file ends before the data the header describes", async () => {
    const header = `{"w":${entry("F32", [4], 0, 16)}}`;
    const e = await rejects(file(header, 15), Code.TRUNCATED);
    assert.equal(e.message, msg.truncated(WHERE, 8 + header.length + 16, 8 + header.length + 15));
    await rejects(file(header, 0), Code.TRUNCATED);
  });

  it("SAFETENSORS_TRUNCATED: the file shrinks between stat and read", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nbresume-safetensors-"));
    try {
      const path = join(dir, "model.safetensors");
      const bytes = file(`{"w":${entry("U8", [64], 0, 64)}}`, 64);
      await writeFile(path, bytes);
      const fh = await open(path, "r");
      try {
        await truncate(path, bytes.length - 10); // after the caller learned the size
        await assert.rejects(readSafetensors(fileByteSource(fh, bytes.length, path), { where: path }), (e: unknown) => {
          assert.ok(e instanceof NbresumeError);
          assert.equal(e.code, Code.TRUNCATED);
          assert.equal(e.where, path);
          assert.ok(e.message.startsWith(`${path}: the source ended`), e.message);
          return true;
        });
      } finally {
        await fh.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("SAFETENSORS_TRAILING_BYTES: bytes after the data the header describes", async () => {
    const header = `{"w":${entry("U8", [2], 0, 2)}}`;
    const e = await rejects(file(header, 3), Code.TRAILING_BYTES);
    assert.equal(e.message, msg.trailingBytes(WHERE, 8 + header.length + 2, 8 + header.length + 3));
    await rejects(file("{}", 1), Code.TRAILING_BYTES);
  });

  it("SAFETENSORS_READ_FAILED: the file handle cannot be read (closed underneath)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nbresume-safetensors-"));
    try {
      const path = join(dir, "model.safetensors");
      await writeFile(path, file("{}      "));
      const fh = await open(path, "r");
      await fh.close();
      await assert.rejects(readSafetensors(fileByteSource(fh, 16, path), { where: path }), (e: unknown) => {
        assert.ok(e instanceof NbresumeError);
        assert.equal(e.code, Code.READ_FAILED);
        assert.equal(e.where, path);
        assert.ok(e.cause instanceof Error);
        assert.equal(e.message, msg.readFailed(path, 0, 8, e.cause));
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("SAFETENSORS_ALLOCATION_FAILED: a valid header whose tensor is larger than a typed array can be (sparse 8 GiB file)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nbresume-safetensors-"));
    try {
      const path = join(dir, "huge.safetensors");
      const n = 2 ** 33; // over V8's typed array limit, so nothing is allocated
      const header = Buffer.from(`{"w":${entry("U8", [n], 0, n)}}`);
      await writeFile(path, file(header));
      await truncate(path, 8 + header.length + n); // sparse: no disk used
      const fh = await open(path, "r");
      try {
        await assert.rejects(readSafetensors(fileByteSource(fh, 8 + header.length + n, path), { where: path }), (e: unknown) => {
          assert.ok(e instanceof NbresumeError);
          assert.equal(e.code, Code.ALLOCATION_FAILED);
          assert.equal(e.message, msg.allocationFailed(path, "w", n));
          return true;
        });
      } finally {
        await fh.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("parseHeader asks for the whole header prefix instead of guessing", () => {
    const bytes = file(`{"w":${entry("U8", [2], 0, 2)}}`, 2);
    assert.throws(() => parseHeader(bytes.subarray(0, 12), bytes.length, WHERE), RangeError);
    const header = parseHeader(bytes, bytes.length, WHERE);
    assert.equal(header.dataStart, bytes.length - 2);
    assert.deepEqual(header.entries, [{ name: "w", dtype: "U8", shape: [2], begin: header.dataStart, end: bytes.length }]);
  });

  it("has a test above for every error code", () => {
    // Keeps this file honest when a code is added to messages.ts.
    const tested = new Set([
      Code.TOO_SHORT,
      Code.HEADER_TOO_LARGE,
      Code.HEADER_LENGTH_INVALID,
      Code.HEADER_NOT_UTF8,
      Code.HEADER_NOT_JSON,
      Code.HEADER_NOT_OBJECT,
      Code.DUPLICATE_KEY,
      Code.METADATA_INVALID,
      Code.ENTRY_INVALID,
      Code.DTYPE_UNKNOWN,
      Code.SHAPE_INVALID,
      Code.SIZE_OVERFLOW,
      Code.OFFSETS_INVALID,
      Code.SIZE_MISMATCH,
      Code.NOT_CONTIGUOUS,
      Code.TRUNCATED,
      Code.TRAILING_BYTES,
      Code.READ_FAILED,
      Code.ALLOCATION_FAILED,
    ]);
    assert.deepEqual([...tested].sort(), Object.values(Code).sort());
  });
});

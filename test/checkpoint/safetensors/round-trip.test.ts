/**
 * Round trips through the safetensors writer and reader: every dtype, edge shapes, awkward
 * names, metadata; in memory, through the streaming reader, and through a real file.
 */
import { strict as assert } from "node:assert";
import { mkdtemp, open, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileByteSource, memoryByteSource, parseSafetensors, readSafetensors, writeSafetensors } from "../../../src/checkpoint/safetensors/index.js";
import { type TensorGroup, tensor } from "../../../src/tensor.js";
import { CollectingSink } from "./collecting-sink.js";
import { assertSameTensors } from "./same-tensors.js";

async function toBytes(tensors: TensorGroup, metadata?: Record<string, string>): Promise<Uint8Array> {
  const sink = new CollectingSink();
  const { bytes } = await writeSafetensors(sink, tensors, metadata);
  const out = sink.bytes();
  assert.equal(bytes, out.byteLength, "writeSafetensors reports the bytes it wrote");
  return out;
}

/** Writes, then reads back both ways (sync in-memory parse and the streaming reader). */
async function roundTrip(tensors: TensorGroup, metadata?: Record<string, string>): Promise<void> {
  const bytes = await toBytes(tensors, metadata);
  const parsed = parseSafetensors(bytes);
  assertSameTensors(parsed.tensors, tensors);
  assert.deepEqual(parsed.metadata, metadata ?? {});
  const streamed = await readSafetensors(memoryByteSource(bytes));
  assertSameTensors(streamed.tensors, tensors);
  assert.deepEqual(streamed.metadata, metadata ?? {});
}

function everyDtype(): TensorGroup {
  return {
    f64: tensor("float64", [2, 3], new Float64Array([0, -0, 1.5, Number.MAX_VALUE, Number.MIN_VALUE, -Infinity])),
    f32: tensor("float32", [4], new Float32Array([1, -2.5, 3.4028234663852886e38, Number.NaN])),
    // Raw half-precision words: 1.0, -2.0, +inf, a NaN with a payload.
    f16: tensor("float16", [2, 2], new Uint16Array([0x3c00, 0xc000, 0x7c00, 0x7e01])),
    bf16: tensor("bfloat16", [3], new Uint16Array([0x3f80, 0xff80, 0x7fc1])),
    i64: tensor("int64", [3], new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 123456789012345678n])),
    i32: tensor("int32", [2], new Int32Array([-(2 ** 31), 2 ** 31 - 1])),
    i16: tensor("int16", [2], new Int16Array([-32768, 32767])),
    i8: tensor("int8", [3], new Int8Array([-128, 0, 127])),
    u8: tensor("uint8", [2], new Uint8Array([0, 255])),
    flags: tensor("bool", [3], new Uint8Array([1, 0, 1])),
  };
}

describe("safetensors round trip", () => {
  it("reads back every dtype bit for bit (int64 as bigint, float16/bfloat16 as raw words, bool as bytes)", async () => {
    await roundTrip(everyDtype());
  });

  it("keeps NaN payloads and negative zero exactly, since it copies bytes and not values", async () => {
    const f64 = new Float64Array(2);
    new DataView(f64.buffer).setBigUint64(0, 0x7ff8_0000_dead_beefn, true);
    f64[1] = -0;
    const back = parseSafetensors(await toBytes({ x: tensor("float64", [2], f64) }));
    const data = back.tensors["x"]!.data as Float64Array;
    assert.equal(new DataView(data.buffer).getBigUint64(0, true), 0x7ff8_0000_dead_beefn);
    assert.ok(Object.is(data[1], -0));
  });

  it("reads back empty tensors (a zero dimension) of every size class", async () => {
    await roundTrip({
      a: tensor("float32", [0]),
      b: tensor("float64", [3, 0, 2]),
      c: tensor("int64", [0, 5]),
      d: tensor("bool", [0]),
      e: tensor("uint8", [4], new Uint8Array([1, 2, 3, 4])),
    });
  });

  it("reads back scalars (shape [])", async () => {
    await roundTrip({
      s32: tensor("float32", [], new Float32Array([3.5])),
      s64: tensor("int64", [], new BigInt64Array([-7n])),
      sb: tensor("bool", [], new Uint8Array([1])),
    });
  });

  it("reads back non-ASCII, astral, escaped and prototype-like tensor names", async () => {
    const group: TensorGroup = {
      "层.权重": tensor("float32", [2], new Float32Array([1, 2])),
      "ü/∂": tensor("int32", [1], new Int32Array([5])),
      "emoji 😀": tensor("uint8", [1], new Uint8Array([9])),
      'quote " backslash \\ newline \n tab \t nul \u0000': tensor("int8", [1], new Int8Array([-1])),
      // Computed, or the literal would set the prototype instead of adding a key.
      ["__proto__"]: tensor("float64", [1], new Float64Array([2])),
      constructor: tensor("int16", [1], new Int16Array([3])),
      "0": tensor("bool", [1], new Uint8Array([1])),
      "12": tensor("bool", [1], new Uint8Array([0])),
    };
    assert.equal(Object.keys(group).length, 8);
    await roundTrip(group);
    const back = parseSafetensors(await toBytes(group)).tensors;
    assert.ok(Object.prototype.hasOwnProperty.call(back, "__proto__"), "__proto__ is an own entry");
    assert.equal(Object.getPrototypeOf(back), Object.prototype, "the result's prototype is untouched");
  });

  it("reads back metadata, including non-ASCII and empty values", async () => {
    await roundTrip(everyDtype(), { format: "pt", step: "12000", note: "größe 层", empty: "" });
  });

  it("writes tensors whose data is a view into a larger buffer (only the view's bytes)", async () => {
    const backing = new Float64Array([1, 2, 3, 4, 5, 6]);
    const bytes = new Uint8Array([9, 8, 7, 6, 5]);
    const group: TensorGroup = {
      middle: tensor("float64", [2, 2], backing.subarray(1, 5)),
      tail: tensor("uint8", [2], bytes.subarray(3)),
    };
    await roundTrip(group);
    const back = parseSafetensors(await toBytes(group)).tensors;
    assert.deepEqual([...(back["middle"]!.data as Float64Array)], [2, 3, 4, 5]);
    assert.deepEqual([...(back["tail"]!.data as Uint8Array)], [6, 5]);
  });

  it("writes and reads a file with no tensors", async () => {
    await roundTrip({});
    await roundTrip({}, { only: "metadata" });
  });

  it("reads a real file through fileByteSource, observing every byte once and in order", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nbresume-safetensors-"));
    try {
      const big = new Float32Array(3 * 1024 * 1024 + 5); // > one read chunk, not a multiple of it
      for (let i = 0; i < big.length; i++) big[i] = i * 0.5;
      const tensors: TensorGroup = { ...everyDtype(), big: tensor("float32", [big.length], big) };
      const bytes = await toBytes(tensors, { kind: "test" });
      const path = join(dir, "model.safetensors");
      await writeFile(path, bytes);
      const fh = await open(path, "r");
      const seen: Uint8Array[] = [];
      try {
        const { size } = await stat(path);
        const file = await readSafetensors(fileByteSource(fh, size, path), {
          where: path,
          observe: (chunk) => seen.push(Uint8Array.from(chunk)),
        });
        assertSameTensors(file.tensors, tensors);
        assert.deepEqual(file.metadata, { kind: "test" });
      } finally {
        await fh.close();
      }
      assert.ok(seen.length > 2, "observe is called in several chunks");
      assert.ok(Buffer.concat(seen).equals(bytes), "observe saw exactly the file's bytes, in order");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

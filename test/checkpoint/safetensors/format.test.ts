/**
 * The writer's bytes are the standard safetensors format, checked against examples worked out
 * by hand: the 8-byte little-endian length, the compact JSON, the space padding to a multiple
 * of 8, the offsets, the data, and the reference writer's tensor order.
 */
import { strict as assert } from "node:assert";
import { parseSafetensors, safetensorsLayout, writeSafetensors } from "../../../src/checkpoint/safetensors/index.js";
import { type TensorGroup, tensor } from "../../../src/tensor.js";
import { CollectingSink } from "./collecting-sink.js";

async function written(tensors: TensorGroup, metadata?: Record<string, string>): Promise<Buffer> {
  const sink = new CollectingSink();
  await writeSafetensors(sink, tensors, metadata);
  return Buffer.from(sink.bytes());
}

function headerJson(bytes: Buffer): string {
  const n = Number(bytes.readBigUInt64LE(0));
  return bytes.subarray(8, 8 + n).toString("utf8");
}

describe("safetensors format", () => {
  it("writes a small file byte for byte as worked out by hand", async () => {
    const bytes = await written({
      b: tensor("int8", [3], new Int8Array([-1, 0, 5])),
      w: tensor("float32", [2], new Float32Array([1, 2])),
    });
    // F32 ranks above I8, so "w" comes first even though "b" sorts first by name.
    const json = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I8","shape":[3],"data_offsets":[8,11]}}';
    assert.equal(json.length, 107); // padded with 5 spaces to 112
    const expected = Buffer.concat([
      Buffer.from([112, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from(json, "utf8"),
      Buffer.from("     ", "utf8"),
      Buffer.from([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40]), // 1.0f, 2.0f little-endian
      Buffer.from([0xff, 0x00, 0x05]), // -1, 0, 5
    ]);
    assert.deepEqual(bytes, expected);
    assert.equal(bytes.length, 8 + 112 + 11);
  });

  it("writes __metadata__ first and counts the header length in UTF-8 bytes, not characters", async () => {
    const bytes = await written({ 层: tensor("uint8", [], new Uint8Array([7])) }, { k: "v" });
    const json = '{"__metadata__":{"k":"v"},"层":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}';
    assert.equal(json.length, 77); // 77 characters, but 层 is 3 bytes in UTF-8: 79 bytes, 1 space of padding
    const expected = Buffer.concat([Buffer.from([80, 0, 0, 0, 0, 0, 0, 0]), Buffer.from(json, "utf8"), Buffer.from(" "), Buffer.from([7])]);
    assert.deepEqual(bytes, expected);
  });

  it("writes an empty group as {} padded to 8 bytes, as the reference writer does", async () => {
    assert.deepEqual(await written({}), Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d, 32, 32, 32, 32, 32, 32]));
    const withMeta = await written({}, { framework: "pt" });
    assert.equal(headerJson(withMeta), '{"__metadata__":{"framework":"pt"}}     ');
    assert.equal(withMeta.readBigUInt64LE(0), 40n);
  });

  it("orders tensors by the reference's dtype rank (I64 F64 F32 I32 BF16 F16 I16 I8 U8 BOOL), then by name", async () => {
    const bytes = await written({
      flag: tensor("bool", [1], new Uint8Array([1])),
      u: tensor("uint8", [1]),
      i8: tensor("int8", [1]),
      i16: tensor("int16", [1]),
      h: tensor("float16", [1]),
      bh: tensor("bfloat16", [1]),
      i32: tensor("int32", [1]),
      z32: tensor("float32", [1]),
      a32: tensor("float32", [1]),
      f64: tensor("float64", [1]),
      i64: tensor("int64", [1]),
    });
    const names = Object.keys(JSON.parse(headerJson(bytes)) as object);
    assert.deepEqual(names, ["i64", "f64", "a32", "z32", "i32", "bh", "h", "i16", "i8", "u", "flag"]);
    // Descending element size keeps every tensor aligned to its element size in the file.
    const dataStart = 8 + Number(bytes.readBigUInt64LE(0));
    assert.equal(dataStart % 8, 0);
  });

  it("orders names by UTF-8 bytes like Rust, not by UTF-16 units like JavaScript", async () => {
    // U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8; in UTF-16 the emoji's
    // surrogate D83D sorts first.
    const bytes = await written({
      "😀": tensor("float32", [1]),
      "\uff21": tensor("float32", [1]),
      a: tensor("float32", [1]),
    });
    assert.deepEqual(Object.keys(JSON.parse(headerJson(bytes)) as object), ["a", "\uff21", "😀"]);
  });

  it("escapes names exactly as serde_json does and keeps integer-like names in data order", async () => {
    const bytes = await written({
      'b"\\\n\u0001\u007f': tensor("int32", [1]),
      "10": tensor("int32", [1]),
      "9": tensor("int32", [1]),
    });
    assert.equal(
      headerJson(bytes).trimEnd(),
      '{"10":{"dtype":"I32","shape":[1],"data_offsets":[0,4]},' +
        '"9":{"dtype":"I32","shape":[1],"data_offsets":[4,8]},' +
        '"b\\"\\\\\\n\\u0001\u007f":{"dtype":"I32","shape":[1],"data_offsets":[8,12]}}',
    );
  });

  it("describes the file it will write (header bytes, entries, size) before writing", async () => {
    const tensors = {
      w: tensor("float32", [2, 3]),
      step: tensor("int64", [], new BigInt64Array([5n])),
      empty: tensor("float16", [0, 4]),
    };
    const layout = safetensorsLayout(tensors, { a: "b" });
    const bytes = await written(tensors, { a: "b" });
    assert.equal(layout.fileSize, bytes.length);
    assert.deepEqual(Buffer.from(layout.header), bytes.subarray(0, layout.dataStart));
    assert.deepEqual(
      layout.entries.map((e) => [e.name, e.dtype, [...e.shape], e.begin - layout.dataStart, e.end - layout.dataStart]),
      [
        ["step", "I64", [], 0, 8],
        ["w", "F32", [2, 3], 8, 32],
        ["empty", "F16", [0, 4], 32, 32],
      ],
    );
    // A reader agrees with the layout.
    const back = parseSafetensors(bytes);
    assert.deepEqual(Object.keys(back.tensors).sort(), ["empty", "step", "w"]);
  });
});

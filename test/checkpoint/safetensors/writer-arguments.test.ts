/**
 * The writer refuses bad input before writing a byte, with a TypeError or RangeError that
 * names the tensor and says what to change.
 */
import { strict as assert } from "node:assert";
import { safetensorsLayout, safetensorsMessages as msg, writeSafetensors } from "../../../src/checkpoint/safetensors/index.js";
import { MAX_HEADER_BYTES } from "../../../src/checkpoint/safetensors/header.js";
import { DTYPES, type Tensor, type TensorGroup, tensor } from "../../../src/tensor.js";
import { CollectingSink } from "./collecting-sink.js";

/** Both entry points refuse `tensors` with `kind` and `message`; nothing reaches the sink. */
async function refuses(tensors: unknown, kind: typeof TypeError | typeof RangeError, message: string, metadata?: unknown): Promise<void> {
  const expected = (e: unknown): boolean => {
    assert.ok(e instanceof kind, `expected ${kind.name}, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  };
  assert.throws(() => safetensorsLayout(tensors as TensorGroup, metadata as Record<string, string>), expected);
  const sink = new CollectingSink();
  await assert.rejects(writeSafetensors(sink, tensors as TensorGroup, metadata as Record<string, string>), expected);
  assert.equal(sink.chunks.length, 0, "nothing was written");
}

const ok = tensor("float32", [1]);

describe("safetensors writer arguments", () => {
  it("refuses an empty tensor name", async () => {
    await refuses({ "": ok }, TypeError, msg.badTensorName("", "is empty"));
  });

  it("refuses the reserved name __metadata__", async () => {
    await refuses({ __metadata__: ok }, TypeError, msg.badTensorName("__metadata__", "is reserved for the file's metadata"));
  });

  it("refuses a name with a lone surrogate, which would not survive UTF-8", async () => {
    const name = "bad\ud800name";
    await refuses({ [name]: ok }, TypeError, msg.badTensorName(name, "contains a lone UTF-16 surrogate, which UTF-8 cannot encode"));
  });

  it("refuses an unknown dtype", async () => {
    await refuses({ w: { dtype: "float8", shape: [1], data: new Uint8Array(1) } }, TypeError, msg.badDType("w", "float8", DTYPES));
  });

  it("refuses data of the wrong typed array class for the dtype", async () => {
    await refuses({ w: { dtype: "float64", shape: [1], data: new Float32Array(2) } }, TypeError, msg.badData("w", "float64", "Float64Array", "a Float32Array"));
    await refuses({ w: { dtype: "int64", shape: [1], data: [1] } }, TypeError, msg.badData("w", "int64", "BigInt64Array", "an array"));
  });

  it("refuses data whose length is not the product of the shape", async () => {
    const bad: Tensor = { dtype: "int32", shape: [2, 3], data: new Int32Array(5) };
    await refuses({ w: bad }, RangeError, msg.dataLength("w", [2, 3], 6, 5));
    const scalar: Tensor = { dtype: "int32", shape: [], data: new Int32Array(0) };
    await refuses({ s: scalar }, RangeError, msg.dataLength("s", [], 1, 0));
  });

  it("refuses negative, fractional or missing shapes", async () => {
    await refuses({ w: { dtype: "uint8", shape: [-1], data: new Uint8Array(0) } }, RangeError, msg.badShape("w", [-1]));
    await refuses({ w: { dtype: "uint8", shape: [0.5], data: new Uint8Array(0) } }, RangeError, msg.badShape("w", [0.5]));
    await refuses({ w: { dtype: "uint8", data: new Uint8Array(0) } }, TypeError, msg.badShape("w", undefined));
  });

  it("refuses something that is not a tensor, or not a group", async () => {
    await refuses({ w: 5 }, TypeError, msg.notATensor("w"));
    await refuses(null, TypeError, msg.notATensorGroup("null"));
    await refuses([ok], TypeError, msg.notATensorGroup("an array"));
  });

  it("refuses metadata that is not a map of strings", async () => {
    await refuses({ w: ok }, TypeError, msg.badMetadata('"step" is a number'), { step: 5 });
    await refuses({ w: ok }, TypeError, msg.badMetadata("got an array"), ["a"]);
  });

  it("refuses a header over the 100 MB cap readers accept", async () => {
    const huge = "x".repeat(MAX_HEADER_BYTES);
    const expectedBytes = Math.ceil((huge.length + '{"__metadata__":{"k":""}}'.length) / 8) * 8;
    await refuses({}, RangeError, msg.headerTooLargeToWrite(expectedBytes, MAX_HEADER_BYTES), { k: huge });
  });
});

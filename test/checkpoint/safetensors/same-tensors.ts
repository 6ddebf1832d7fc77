/** Byte-exact comparison of tensor groups: bytes, not values, so NaN payloads and -0 count. */
import { strict as assert } from "node:assert";
import { type TensorGroup, tensorBytes } from "../../../src/tensor.js";

export function assertSameTensors(actual: TensorGroup, expected: TensorGroup): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const name of Object.keys(expected)) {
    const a = Object.getOwnPropertyDescriptor(actual, name)?.value as TensorGroup[string] | undefined;
    const e = Object.getOwnPropertyDescriptor(expected, name)?.value as TensorGroup[string];
    assert.ok(a !== undefined, `tensor ${JSON.stringify(name)} is missing`);
    assert.equal(a.dtype, e.dtype, `dtype of ${JSON.stringify(name)}`);
    assert.deepEqual([...a.shape], [...e.shape], `shape of ${JSON.stringify(name)}`);
    assert.equal(a.data.constructor, e.data.constructor, `data class of ${JSON.stringify(name)}`);
    assert.deepEqual(Buffer.from(tensorBytes(a)), Buffer.from(tensorBytes(e)), `bytes of ${JSON.stringify(name)}`);
  }
}

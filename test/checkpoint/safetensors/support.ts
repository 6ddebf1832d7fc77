/**
 * Test helpers for the safetensors tests: a sink that keeps what it is given, and a byte-exact
 * comparison of tensor groups (bytes, not values, so NaN payloads and -0 count).
 */
import { strict as assert } from "node:assert";
import type { ByteSink } from "../../../src/checkpoint/safetensors/safetensors.js";
import { type TensorGroup, tensorBytes } from "../../../src/tensor.js";

/** Keeps every chunk it is given (by reference), so tests can check they are views. */
export class CollectingSink implements ByteSink {
  readonly chunks: Uint8Array[] = [];

  write(chunk: Uint8Array): Promise<void> {
    this.chunks.push(chunk);
    return Promise.resolve();
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}

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

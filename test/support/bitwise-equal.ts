import { strict as assert } from "node:assert";
import type { TensorGroup } from "../../src/tensor.js";

/** Asserts two tensor groups have the same names and every tensor the same bytes. */
export function assertBitwiseEqual(a: TensorGroup, b: TensorGroup, what: string): void {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), `${what}: names`);
  for (const k of Object.keys(a)) {
    const x = Buffer.from(a[k]!.data.buffer, a[k]!.data.byteOffset, a[k]!.data.byteLength);
    const y = Buffer.from(b[k]!.data.buffer, b[k]!.data.byteOffset, b[k]!.data.byteLength);
    assert.ok(x.equals(y), `${what}: tensor ${k} differs`);
  }
}

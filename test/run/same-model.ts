/** Asserts that two checkpoints hold bitwise the same model tensors. */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";

/** Asserts the model tensors of two checkpoints (by directory path) are bitwise equal. */
export async function assertSameModel(a: string, b: string): Promise<void> {
  const ra = await CheckpointStore.open(dirname(a), { readOnly: true });
  const rb = await CheckpointStore.open(dirname(b), { readOnly: true });
  try {
    const ta = (await ra.load(a)).tensors["model"] ?? {};
    const tb = (await rb.load(b)).tensors["model"] ?? {};
    assert.deepEqual(Object.keys(ta).sort(), Object.keys(tb).sort());
    assert.ok(Object.keys(ta).length > 0);
    for (const [name, t] of Object.entries(ta)) {
      const u = tb[name]!;
      const x = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      const y = Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength);
      assert.ok(x.equals(y), `tensor ${name} differs between ${a} and ${b}`);
    }
  } finally {
    await ra.close();
    await rb.close();
  }
}

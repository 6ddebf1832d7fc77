/**
 * A safetensors header compared with the tensors the caller's model has, before anything is
 * allocated from it: a checkpoint whose header asks for a 10 GiB tensor where the model has a
 * 64×32 one is refused at once instead of being allocated and read (a sparse 10 GiB file once
 * made a resume allocate and page in 10 GiB before failing over).
 */
import { DTYPE_OF } from "./safetensors/index.js";
import type { HeaderEntry } from "./safetensors/index.js";
import type { ExpectedTensors } from "./store.js";

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** What does not match, in one line ("tensor "w" is float32 [1000000000], the model expects float32 [64, 32]"), or undefined. */
export function tensorMismatch(expected: ExpectedTensors[string], entries: readonly HeaderEntry[]): string | undefined {
  const found = new Set<string>();
  for (const e of entries) {
    found.add(e.name);
    const want = Object.prototype.hasOwnProperty.call(expected, e.name) ? expected[e.name] : undefined;
    const dtype = DTYPE_OF[e.dtype];
    if (want === undefined) return `holds tensor ${JSON.stringify(e.name)} (${dtype} ${shapeText(e.shape)}), which the model does not have`;
    if (want.dtype !== dtype || !sameShape(want.shape, e.shape)) {
      return `tensor ${JSON.stringify(e.name)} is ${dtype} ${shapeText(e.shape)}, the model expects ${want.dtype} ${shapeText(want.shape)}`;
    }
  }
  for (const name of Object.keys(expected)) if (!found.has(name)) return `lacks tensor ${JSON.stringify(name)}, which the model has`;
  return undefined;
}

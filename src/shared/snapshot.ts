/**
 * The snapshot a background save writes: a copy of every tensor's bytes, taken before
 * saveInBackground() returns, so the caller's next training step can change its tensors freely.
 * The run's sampler thread gets the weights it previews the same way.
 *
 * All tensors go into one SharedArrayBuffer (the background writer thread reads it without a
 * second copy), kept for the next save: fresh memory costs ~6× the copy itself here (256 MiB:
 * ~105 ms of page faults and zeroing vs ~16 ms to copy into pages already mapped), and that cost
 * would land on the training loop. So between saves the store holds one copy of the state;
 * during a save, the extra memory is that copy plus the writer's small buffers. close() drops it.
 */
import { BYTES_PER_ELEMENT, type DType, type Tensor, type TensorData, type TensorGroup, viewAs } from "../tensor.js";
import { setOwn } from "./own-record.js";

/** One tensor's place in the snapshot buffer. */
export interface SnapshotEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** Byte offset in the buffer (a multiple of 8, so every typed array can view it). */
  offset: number;
  length: number;
}

/** What the snapshot holds, as plain data: it crosses to the writer thread with the buffer. */
export interface SnapshotLayout {
  groups: { group: string; entries: SnapshotEntry[] }[];
  /** Bytes used in the buffer. */
  bytes: number;
}

export interface Snapshot {
  layout: SnapshotLayout;
  buffer: SharedArrayBuffer;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Where each tensor goes; the tensors were validated already (safetensorsLayout). */
export function planSnapshot(groups: readonly (readonly [string, TensorGroup])[]): SnapshotLayout {
  let offset = 0;
  const planned = groups.map(([group, tensors]) => ({
    group,
    entries: Object.keys(tensors).map((name) => {
      const t = tensors[name]!;
      const entry: SnapshotEntry = { name, dtype: t.dtype, shape: [...t.shape], offset, length: t.data.length };
      offset = align8(offset + t.data.byteLength);
      return entry;
    }),
  }));
  return { groups: planned, bytes: offset };
}

/** The staging buffer, reused from one save to the next. */
export class SnapshotBuffer {
  private buffer: SharedArrayBuffer | undefined;

  /** Bytes held between saves. */
  get heldBytes(): number {
    return this.buffer?.byteLength ?? 0;
  }

  /**
   * Copy the tensors into the buffer (grown, or shrunk when less than half is needed). The
   * caller guarantees no save still reads the buffer (one save in flight at a time).
   */
  take(groups: readonly (readonly [string, TensorGroup])[]): Snapshot {
    const layout = planSnapshot(groups);
    const size = Math.max(8, layout.bytes);
    if (this.buffer === undefined || this.buffer.byteLength < size || this.buffer.byteLength > 2 * size) {
      this.buffer = undefined; // let the old one go before allocating the new one
      this.buffer = new SharedArrayBuffer(size);
    }
    const into = new Uint8Array(this.buffer);
    for (const [i, [, tensors]] of groups.entries()) {
      for (const entry of layout.groups[i]!.entries) into.set(bytesOf(tensors[entry.name]!.data), entry.offset);
    }
    return { layout, buffer: this.buffer };
  }

  release(): void {
    this.buffer = undefined;
  }
}

/** The snapshot's tensors as views over its buffer (no copy), in the caller's group order. */
export function snapshotTensors(snapshot: Snapshot): Record<string, TensorGroup> {
  const out: Record<string, TensorGroup> = {};
  for (const { group, entries } of snapshot.layout.groups) {
    const tensors: TensorGroup = {};
    for (const e of entries) {
      setOwn<Tensor>(tensors, e.name, { dtype: e.dtype, shape: e.shape, data: viewAs(e.dtype, snapshot.buffer, e.offset, e.length) });
    }
    setOwn<TensorGroup>(out, group, tensors);
  }
  return out;
}

/** Bytes of tensor data in the groups (what a snapshot copies). */
export function tensorBytes(groups: readonly (readonly [string, TensorGroup])[]): number {
  let total = 0;
  for (const [, tensors] of groups) for (const t of Object.values(tensors)) total += t.data.length * BYTES_PER_ELEMENT[t.dtype];
  return total;
}

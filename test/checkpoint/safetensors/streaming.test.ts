/**
 * The writer and reader stream: the sink gets views over the tensors' own buffers (no copy, no
 * whole-file buffer), the reader gives every tensor a buffer of its own, and `observe` sees the
 * file's exact bytes once, in order.
 */
import { strict as assert } from "node:assert";
import { type ByteSource, memoryByteSource, readSafetensors, writeSafetensors } from "../../../src/checkpoint/safetensors/index.js";
import { READ_CHUNK_BYTES, SMALL_TENSOR_BYTES } from "../../../src/checkpoint/safetensors/reader.js";
import { WRITE_CHUNK_BYTES } from "../../../src/checkpoint/safetensors/writer.js";
import { type TensorGroup, tensor } from "../../../src/tensor.js";
import { CollectingSink } from "./collecting-sink.js";
import { assertSameTensors } from "./same-tensors.js";

function bigGroup(): TensorGroup {
  // 40 MiB of float32: more than two write chunks, and not a multiple of one.
  const big = new Float32Array(10 * 1024 * 1024 + 3);
  for (let i = 0; i < big.length; i += 4096) big[i] = i;
  return {
    big: tensor("float32", [big.length], big),
    small: tensor("int8", [3], new Int8Array([1, 2, 3])),
  };
}

/** Records every read, so tests can see what the reader asked for. */
interface Read {
  position: number;
  length: number;
  into: ArrayBufferLike;
}

function recordingSource(bytes: Uint8Array): ByteSource & { reads: Read[] } {
  const inner = memoryByteSource(bytes);
  const reads: Read[] = [];
  return {
    size: inner.size,
    reads,
    read(into, position) {
      reads.push({ position, length: into.byteLength, into: into.buffer });
      return inner.read(into, position);
    },
  };
}

describe("safetensors streaming", () => {
  it("hands the sink the header, then views over each tensor's own buffer, never a copy", async () => {
    const group = bigGroup();
    const big = group["big"]!.data;
    const sink = new CollectingSink();
    const { bytes } = await writeSafetensors(sink, group);
    const [header, ...rest] = sink.chunks;
    assert.ok(header !== undefined);
    const bigChunks = rest.filter((c) => c.buffer === big.buffer);
    assert.equal(bigChunks.length, Math.ceil(big.byteLength / WRITE_CHUNK_BYTES));
    let at = 0;
    for (const c of bigChunks) {
      assert.equal(c.byteOffset, big.byteOffset + at, "chunks cover the tensor in order");
      assert.ok(c.byteLength <= WRITE_CHUNK_BYTES);
      at += c.byteLength;
    }
    assert.equal(at, big.byteLength);
    const small = rest.find((c) => c.buffer === group["small"]!.data.buffer);
    assert.ok(small !== undefined, "the small tensor is a view too");
    // Nothing the size of the file was ever built.
    assert.ok(Math.max(...sink.chunks.map((c) => c.byteLength)) <= WRITE_CHUNK_BYTES);
    assert.equal(
      sink.chunks.reduce((n, c) => n + c.byteLength, 0),
      bytes,
    );
  });

  it("reads each tensor straight into a buffer of its own, in bounded pieces", async () => {
    const group = bigGroup();
    const sink = new CollectingSink();
    await writeSafetensors(sink, group);
    const file = sink.bytes();
    const source = recordingSource(file);
    const { tensors } = await readSafetensors(source);
    assertSameTensors(tensors, group);
    const bigData = tensors["big"]!.data;
    assert.equal(bigData.buffer.byteLength, bigData.byteLength, "the big tensor owns exactly its bytes");
    assert.notEqual(bigData.buffer, tensors["small"]!.data.buffer);
    const intoBig = source.reads.filter((r) => r.into === bigData.buffer);
    assert.equal(
      intoBig.reduce((n, r) => n + r.length, 0),
      bigData.byteLength,
      "the file's bytes land in the tensor directly",
    );
    assert.ok(
      source.reads.every((r) => r.length <= Math.max(READ_CHUNK_BYTES, 8 + 1024)),
      "no read larger than a chunk",
    );
    // Reads are in file order and cover the file exactly once.
    let at = 0;
    for (const r of source.reads) {
      assert.equal(r.position, at);
      at += r.length;
    }
    assert.equal(at, file.byteLength);
  });

  it("reads runs of small tensors together (one read per run, not per tensor), each into a buffer of its own", async () => {
    // 300 biases of 1 KiB between two tensors too large to share a read: 300 + 2 tensors, 3 data reads.
    const group: TensorGroup = {};
    const large = (n: number): Float32Array => Float32Array.from({ length: SMALL_TENSOR_BYTES / 4 + n }, (_, i) => i * 0.5 + n);
    group["a.first"] = tensor("float32", [SMALL_TENSOR_BYTES / 4 + 1], large(1));
    for (let i = 0; i < 300; i++)
      group[`b.bias.${String(i).padStart(3, "0")}`] = tensor(
        "float32",
        [256],
        Float32Array.from({ length: 256 }, (_, k) => i * 1000 + k),
      );
    group["c.last"] = tensor("float32", [SMALL_TENSOR_BYTES / 4 + 2], large(2));
    const sink = new CollectingSink();
    await writeSafetensors(sink, group);
    const file = sink.bytes();
    const source = recordingSource(file);
    const seen: Uint8Array[] = [];
    const { tensors } = await readSafetensors(source, { observe: (c) => seen.push(Uint8Array.from(c)) });
    assertSameTensors(tensors, group);
    assert.equal(source.reads.length, 2 + 3, "length, header, then one read per large tensor and one for the 300 small ones");
    const buffers = new Set(Object.values(tensors).map((t) => t.data.buffer));
    assert.equal(buffers.size, 302, "no two tensors share a buffer (none keeps the staging buffer alive)");
    for (const t of Object.values(tensors)) assert.equal(t.data.buffer.byteLength, t.data.byteLength);
    assert.ok(Buffer.concat(seen).equals(file), "observe still sees the file exactly once, in order");
  });

  it("shows observe() every byte of the file exactly once, in file order", async () => {
    const group = bigGroup();
    const sink = new CollectingSink();
    await writeSafetensors(sink, group, { note: "observed" });
    const file = sink.bytes();
    const seen: Uint8Array[] = [];
    await readSafetensors(memoryByteSource(file), { observe: (c) => seen.push(Uint8Array.from(c)) });
    assert.ok(Buffer.concat(seen).equals(file));
  });

  it("does not observe or allocate tensors when the header is bad", async () => {
    const file = new Uint8Array(64);
    new DataView(file.buffer).setBigUint64(0, 2n ** 60n, true);
    const source = recordingSource(file);
    let observed = 0;
    await assert.rejects(
      readSafetensors(source, {
        observe: (c) => {
          observed += c.byteLength;
        },
      }),
    );
    assert.equal(observed, 0);
    assert.deepEqual(
      source.reads.map((r) => [r.position, r.length]),
      [[0, 8]],
      "only the length field was read",
    );
  });
});

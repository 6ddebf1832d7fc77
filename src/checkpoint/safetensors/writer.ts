/**
 * The safetensors writer. It produces the same bytes as the reference implementation
 * (huggingface/safetensors `serialize`): tensors ordered by dtype rank descending then by name
 * (UTF-8 byte order), compact JSON with `__metadata__` first, padded with spaces to a multiple
 * of 8 bytes. It streams: the header, then each tensor's own bytes as views over its typed array
 * (no whole-file buffer, no copy of any tensor).
 */
import { BYTES_PER_ELEMENT, DTYPES, type DType, type Tensor, type TensorGroup, isDType } from "../../tensor.js";
import { REFERENCE_RANK, SAFETENSORS_DTYPE_OF } from "./dtypes.js";
import { assertLittleEndian } from "./endianness.js";
import { MAX_HEADER_BYTES } from "./header.js";
import { safetensorsMessages as msg } from "./messages.js";
import type { ByteSink, HeaderEntry, SafetensorsDType, SafetensorsLayout } from "./safetensors.js";

/**
 * Tensors are handed to the sink in views of at most this many bytes: still no copy, but a
 * hashing sink then hashes each piece while it is in cache, and no single fs write exceeds the
 * 2 GiB per-call limit.
 */
export const WRITE_CHUNK_BYTES = 16 * 1024 * 1024;

/** The typed array class each dtype's data must be (by tag, so it works across realms). */
const DATA_TAG: Readonly<Record<DType, string>> = {
  float64: "Float64Array",
  float32: "Float32Array",
  float16: "Uint16Array",
  bfloat16: "Uint16Array",
  int64: "BigInt64Array",
  int32: "Int32Array",
  int16: "Int16Array",
  int8: "Int8Array",
  uint8: "Uint8Array",
  bool: "Uint8Array",
};

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

interface Planned {
  readonly name: string;
  readonly tensor: Tensor;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly bytes: number;
}

interface Plan {
  readonly layout: SafetensorsLayout;
  readonly ordered: readonly Planned[];
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (ArrayBuffer.isView(value)) return `a ${Object.prototype.toString.call(value).slice(8, -1)}`;
  if (value === undefined) return "undefined";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/**
 * Compares strings in Unicode code point order, which is UTF-8 byte order: the order Rust's
 * `String` sorts in. Plain `<` compares UTF-16 units, which puts U+10000.. (surrogates
 * D800-DFFF) before U+E000..U+FFFF; shifting the two ranges fixes that.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x += x >= 0xe000 ? -0x800 : 0x2000;
      y += y >= 0xe000 ? -0x800 : 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

function checkName(name: string): void {
  if (name === "") throw new TypeError(msg.badTensorName(name, "is empty"));
  if (name === "__metadata__") {
    throw new TypeError(msg.badTensorName(name, "is reserved for the file's metadata"));
  }
  if (LONE_SURROGATE.test(name)) {
    throw new TypeError(msg.badTensorName(name, "contains a lone UTF-16 surrogate, which UTF-8 cannot encode"));
  }
}

function checkTensor(name: string, value: unknown): Planned {
  if (typeof value !== "object" || value === null) throw new TypeError(msg.notATensor(name));
  const t = value as Partial<Tensor>;
  if (!isDType(t.dtype)) throw new TypeError(msg.badDType(name, t.dtype, DTYPES));
  const shape: unknown = t.shape;
  if (!Array.isArray(shape)) throw new TypeError(msg.badShape(name, shape));
  let count = 1;
  for (const d of shape as unknown[]) {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) throw new RangeError(msg.badShape(name, shape));
    count *= d;
    if (!Number.isSafeInteger(count)) throw new RangeError(msg.tooLarge(`more than 2^53 - 1 (tensor ${JSON.stringify(name)})`));
  }
  const data: unknown = t.data;
  const tag = DATA_TAG[t.dtype];
  if (!ArrayBuffer.isView(data) || Object.prototype.toString.call(data) !== `[object ${tag}]`) {
    throw new TypeError(msg.badData(name, t.dtype, tag, describe(data)));
  }
  const length = (data as Tensor["data"]).length;
  if (length !== count) throw new RangeError(msg.dataLength(name, shape as number[], count, length));
  const bytes = count * BYTES_PER_ELEMENT[t.dtype];
  if (!Number.isSafeInteger(bytes)) throw new RangeError(msg.tooLarge(`more than 2^53 - 1 (tensor ${JSON.stringify(name)})`));
  // Normalise -0 to 0 so the JSON says "0".
  return { name, tensor: t as Tensor, dtype: SAFETENSORS_DTYPE_OF[t.dtype], shape: (shape as number[]).map((d) => d + 0), bytes };
}

function checkMetadata(metadata: unknown): [string, string][] {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new TypeError(msg.badMetadata(`got ${describe(metadata)}`));
  }
  const pairs = Object.entries(metadata as Record<string, unknown>);
  for (const [key, value] of pairs) {
    if (typeof value !== "string") {
      throw new TypeError(msg.badMetadata(`${JSON.stringify(key)} is ${describe(value)}`));
    }
    if (LONE_SURROGATE.test(key) || LONE_SURROGATE.test(value)) {
      throw new TypeError(msg.badMetadata(`${JSON.stringify(key)} contains a lone UTF-16 surrogate, which UTF-8 cannot encode`));
    }
  }
  return pairs as [string, string][];
}

/**
 * The per-tensor and metadata checks of writeSafetensors/safetensorsLayout, without building a
 * header: what a background save checks before it copies the tensors. Throws the same errors.
 */
export function checkTensorGroup(tensors: TensorGroup, metadata?: Record<string, string>): { planned: Planned[]; meta: [string, string][] | undefined } {
  if (typeof tensors !== "object" || tensors === null || Array.isArray(tensors)) {
    throw new TypeError(msg.notATensorGroup(describe(tensors)));
  }
  const planned: Planned[] = [];
  for (const name of Object.keys(tensors)) {
    checkName(name);
    planned.push(checkTensor(name, tensors[name]));
  }
  return { planned, meta: metadata === undefined ? undefined : checkMetadata(metadata) };
}

function plan(tensors: TensorGroup, metadata: Record<string, string> | undefined): Plan {
  const { planned, meta } = checkTensorGroup(tensors, metadata);

  planned.sort((a, b) => REFERENCE_RANK[b.dtype] - REFERENCE_RANK[a.dtype] || compareUtf8(a.name, b.name));

  // Built by hand, not JSON.stringify(object): object key order would put integer-like names
  // ("0", "12") first, and a "__proto__" name would be lost. JSON.stringify of a string escapes
  // exactly what serde_json escapes.
  const parts: string[] = [];
  if (meta !== undefined) {
    parts.push(`"__metadata__":{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`);
  }
  const relative: { begin: number; end: number }[] = [];
  let offset = 0;
  for (const p of planned) {
    const begin = offset;
    offset += p.bytes;
    if (!Number.isSafeInteger(offset)) throw new RangeError(msg.tooLarge("more than 2^53 - 1"));
    relative.push({ begin, end: offset });
    parts.push(`${JSON.stringify(p.name)}:{"dtype":"${p.dtype}","shape":[${p.shape.join(",")}],"data_offsets":[${begin},${offset}]}`);
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  if (headerLength > MAX_HEADER_BYTES) throw new RangeError(msg.headerTooLargeToWrite(headerLength, MAX_HEADER_BYTES));
  const dataStart = 8 + headerLength;
  const fileSize = dataStart + offset;
  if (!Number.isSafeInteger(fileSize)) throw new RangeError(msg.tooLarge(String(BigInt(dataStart) + BigInt(offset))));

  const header = new Uint8Array(dataStart);
  new DataView(header.buffer).setBigUint64(0, BigInt(headerLength), true);
  header.set(json, 8);
  header.fill(0x20, 8 + json.byteLength);

  const entries: HeaderEntry[] = planned.map((p, i) => ({
    name: p.name,
    dtype: p.dtype,
    shape: p.shape,
    begin: dataStart + relative[i]!.begin,
    end: dataStart + relative[i]!.end,
  }));
  return { layout: { header, dataStart, entries, fileSize }, ordered: planned };
}

/**
 * The exact header bytes and file size `writeSafetensors` will produce for these tensors, so a
 * caller can check free disk space first. Throws TypeError/RangeError on bad input, naming the tensor.
 */
export function safetensorsLayout(tensors: TensorGroup, metadata?: Record<string, string>): SafetensorsLayout {
  return plan(tensors, metadata).layout;
}

/**
 * Writes `tensors` (and optional string metadata) as a safetensors file into `sink`, in file
 * order: the header, then each tensor's bytes as views over its own buffer. Do not mutate the
 * tensors until the returned promise settles.
 */
export async function writeSafetensors(sink: ByteSink, tensors: TensorGroup, metadata?: Record<string, string>): Promise<{ bytes: number }> {
  assertLittleEndian();
  const { layout, ordered } = plan(tensors, metadata);
  await sink.write(layout.header);
  for (const p of ordered) {
    const data = p.tensor.data;
    for (let at = 0; at < p.bytes; at += WRITE_CHUNK_BYTES) {
      await sink.write(new Uint8Array(data.buffer, data.byteOffset + at, Math.min(WRITE_CHUNK_BYTES, p.bytes - at)));
    }
  }
  return { bytes: layout.fileSize };
}

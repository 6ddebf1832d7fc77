/**
 * Array elements as files store them (.npy descriptors, safetensors dtypes) turned into a column
 * dtype, never losing a value: float32, int32, int64 and uint8 are taken as they are; float16,
 * bfloat16, int8, int16, uint16, uint32 and bool widen exactly; float64 and uint64 are converted
 * only when every value survives (float64 values exactly representable in float32, uint64 values
 * below 2^63), and otherwise the first value that would not is reported.
 */
import type { TypedArrayOf } from "../../tensor.js";
import type { ColumnDType } from "./dataset.js";

/** A stored element type: kind letter and byte size as numpy spells them, plus bfloat16. */
export type ElementType = "f2" | "bf2" | "f4" | "f8" | "i1" | "i2" | "i4" | "i8" | "u1" | "u2" | "u4" | "u8" | "b1";

export const ELEMENT_SIZE: Readonly<Record<ElementType, number>> = {
  f2: 2,
  bf2: 2,
  f4: 4,
  f8: 8,
  i1: 1,
  i2: 2,
  i4: 4,
  i8: 8,
  u1: 1,
  u2: 2,
  u4: 4,
  u8: 8,
  b1: 1,
};

/** The column dtype each element type becomes. */
export const COLUMN_DTYPE_OF: Readonly<Record<ElementType, ColumnDType>> = {
  f2: "float32",
  bf2: "float32",
  f4: "float32",
  f8: "float32",
  i1: "int32",
  i2: "int32",
  i4: "int32",
  i8: "int64",
  u1: "uint8",
  u2: "int32",
  u4: "int64",
  u8: "int64",
  b1: "uint8",
};

/** Names for messages. */
export const ELEMENT_NAME: Readonly<Record<ElementType, string>> = {
  f2: "float16",
  bf2: "bfloat16",
  f4: "float32",
  f8: "float64",
  i1: "int8",
  i2: "int16",
  i4: "int32",
  i8: "int64",
  u1: "uint8",
  u2: "uint16",
  u4: "uint32",
  u8: "uint64",
  b1: "bool",
};

export type Converted =
  | { readonly ok: true; readonly dtype: ColumnDType; readonly data: TypedArrayOf[ColumnDType] }
  | { readonly ok: false; readonly index: number; readonly value: string };

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const INT64_MAX = 2n ** 63n - 1n;

/** float16 bits → the same value as a float32 (every float16 is exactly a float32). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/**
 * Converts `raw` (count × size bytes, in `littleEndian` order or single bytes) to a column's
 * typed array. `owned`: the caller gives `raw` away, so an aligned little-endian array of a
 * column dtype becomes the column without a copy; otherwise the bytes are copied first.
 */
export function convertElements(type: ElementType, raw: Uint8Array, littleEndian: boolean, owned: boolean): Converted {
  const size = ELEMENT_SIZE[type];
  const count = raw.byteLength / size;
  const needsSwap = size > 1 && littleEndian !== LITTLE_ENDIAN;
  let bytes = raw;
  if (!owned || raw.byteOffset % size !== 0) bytes = raw.slice();
  if (needsSwap) swapBytes(bytes, size);
  const { buffer, byteOffset } = bytes;
  switch (type) {
    case "f4":
      return { ok: true, dtype: "float32", data: new Float32Array(buffer, byteOffset, count) };
    case "i4":
      return { ok: true, dtype: "int32", data: new Int32Array(buffer, byteOffset, count) };
    case "i8":
      return { ok: true, dtype: "int64", data: new BigInt64Array(buffer, byteOffset, count) };
    case "u1":
      return { ok: true, dtype: "uint8", data: bytes };
    case "b1": {
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) out[i] = bytes[i] === 0 ? 0 : 1;
      return { ok: true, dtype: "uint8", data: out };
    }
    case "i1":
      return { ok: true, dtype: "int32", data: Int32Array.from(new Int8Array(buffer, byteOffset, count)) };
    case "i2":
      return { ok: true, dtype: "int32", data: Int32Array.from(new Int16Array(buffer, byteOffset, count)) };
    case "u2":
      return { ok: true, dtype: "int32", data: Int32Array.from(new Uint16Array(buffer, byteOffset, count)) };
    case "u4": {
      const source = new Uint32Array(buffer, byteOffset, count);
      const out = new BigInt64Array(count);
      for (let i = 0; i < count; i++) out[i] = BigInt(source[i]!);
      return { ok: true, dtype: "int64", data: out };
    }
    case "u8": {
      const source = new BigUint64Array(buffer, byteOffset, count);
      for (let i = 0; i < count; i++) {
        if (source[i]! > INT64_MAX) return { ok: false, index: i, value: String(source[i]) };
      }
      return { ok: true, dtype: "int64", data: new BigInt64Array(buffer, byteOffset, count) };
    }
    case "f2": {
      const source = new Uint16Array(buffer, byteOffset, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(source[i]!);
      return { ok: true, dtype: "float32", data: out };
    }
    case "bf2": {
      // bfloat16 is the high half of a float32.
      const source = new Uint16Array(buffer, byteOffset, count);
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = source[i]! << 16;
      return { ok: true, dtype: "float32", data: out };
    }
    case "f8": {
      const source = new Float64Array(buffer, byteOffset, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        const v = source[i]!;
        const f = Math.fround(v);
        if (f !== v && v === v) return { ok: false, index: i, value: String(v) };
        out[i] = f;
      }
      return { ok: true, dtype: "float32", data: out };
    }
  }
}

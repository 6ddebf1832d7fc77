/**
 * A validated .npy array turned into a dataset column: its first dimension counts examples, the
 * rest is one example's shape; elements are converted to a column dtype without loss
 * (element-conversion.ts) and Fortran-ordered data is rearranged into C order.
 */
import { NbresumeError } from "../../errors.js";
import type { TypedArrayOf } from "../../tensor.js";
import type { Column, ColumnDType } from "./dataset.js";
import { convertElements, ELEMENT_NAME, type ElementType } from "./element-conversion.js";
import { DataErrorCode, dataMessages as msg } from "./messages.js";
import { type NpyHeader, parseNpyHeader } from "./npy-header.js";

/** An array read from a file: one column and the number of examples it holds. */
export interface ArrayColumn {
  readonly count: number;
  readonly column: Column;
}

/** What to tell someone whose array holds values a column cannot keep exactly. */
const LOSSY_FIX: Partial<Record<ElementType, string>> = {
  f8: "Save it as float32 (numpy: a.astype(np.float32)); training computes in float32 anyway.",
  u8: "uint64 values of 2^63 and above do not fit int64: save the array as int64 if its values allow, or as float32.",
};

/** Rearranges a Fortran-order (column-major) array of `shape` into C order. */
function fortranToC<T extends TypedArrayOf[ColumnDType]>(data: T, shape: readonly number[]): T {
  const n = data.length;
  const rank = shape.length;
  if (rank < 2 || n === 0) return data;
  const out = new (data.constructor as new (n: number) => T)(n);
  const strides: number[] = [];
  let s = 1;
  for (const d of shape) {
    strides.push(s);
    s *= d;
  }
  const index = new Array<number>(rank).fill(0);
  let f = 0;
  const to = out as unknown as { [i: number]: number | bigint };
  const from = data as unknown as { [i: number]: number | bigint };
  for (let c = 0; c < n; c++) {
    to[c] = from[f]!;
    // Advance the C-order index (last axis fastest), keeping f its Fortran-order offset.
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]!++;
      f += strides[axis]!;
      if (index[axis]! < shape[axis]!) break;
      f -= strides[axis]! * shape[axis]!;
      index[axis] = 0;
    }
  }
  return out;
}

/**
 * The column held by an array of `header` whose data bytes are `raw` (exactly header.dataBytes).
 * `owned`: `raw` is the caller's to give away (no copy when it can become the column as it is).
 */
export function npyColumn(header: NpyHeader, raw: Uint8Array, file: string, name: string, owned: boolean): ArrayColumn {
  const { shape } = header;
  if (shape.length === 0) throw new NbresumeError(DataErrorCode.ARRAY_SCALAR, msg.arrayScalar(file, name), { where: file });
  if (shape.some((d) => d === 0)) {
    throw new NbresumeError(
      DataErrorCode.FILE_EMPTY,
      msg.fileEmpty(file, `array ${JSON.stringify(name)} has shape [${shape.join(", ")}], which holds no values`),
      { where: file },
    );
  }
  const converted = convertElements(header.element, raw, header.littleEndian, owned);
  if (!converted.ok) {
    const to = header.element === "f8" ? "float32" : "int64";
    throw new NbresumeError(
      DataErrorCode.CONVERSION_LOSSY,
      msg.conversionLossy(
        file,
        name,
        `${ELEMENT_NAME[header.element]} (${header.descr})`,
        to,
        converted.index,
        converted.value,
        LOSSY_FIX[header.element] ?? "",
      ),
      { where: file },
    );
  }
  const data = header.fortranOrder ? fortranToC(converted.data, shape) : converted.data;
  return { count: shape[0]!, column: { dtype: converted.dtype, shape: shape.slice(1), data } };
}

/** Parses a whole .npy file held in memory (an .npz entry, a test) into a column. */
export function parseNpy(bytes: Uint8Array, file: string, name: string, owned = false): ArrayColumn {
  const header = parseNpyHeader(bytes, bytes.byteLength, file);
  return npyColumn(header, bytes.subarray(header.dataStart), file, name, owned);
}

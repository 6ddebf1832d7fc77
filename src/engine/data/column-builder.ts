/**
 * A growable column of one dtype that checks every value it is given: the parsers (CSV cells, JSON
 * values) and fromArrays() push values one at a time and get back a problem code instead of a
 * silently rounded, wrapped or truncated value. The caller, which knows the file, line and column,
 * turns a problem into its message.
 *
 * Rules, per dtype:
 *   float32  any finite number whose float32 rounding is finite; NaN and ±infinity only with
 *            allowNaN (an empty CSV cell and a JSON null are NaN).
 *   int32, uint8, int64   integers within the dtype's range, exactly (int64 CSV cells are parsed
 *            as BigInt when they exceed 2^53; JS numbers beyond 2^53 are refused as inexact).
 */
import type { TypedArrayOf } from "../../tensor.js";
import type { ColumnDType } from "./dataset.js";

/** What is wrong with a value; 0 means it was stored. */
export const ValueProblem = {
  OK: 0,
  /** Not a number at all ("abc", a JSON string). */
  NOT_NUMBER: 1,
  /** NaN, ±infinity or empty, in a column that does not allow it. */
  NOT_FINITE: 2,
  /** A fraction in an integer column. */
  NOT_INTEGER: 3,
  /** Outside the dtype's range. */
  OUT_OF_RANGE: 4,
  /** A JS number beyond ±2^53 for int64: it is not known exactly. */
  INEXACT: 5,
} as const;

export type ValueProblemCode = (typeof ValueProblem)[keyof typeof ValueProblem];

const TWO_32 = 4294967296;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Lower-cased spellings of NaN and the infinities that a CSV cell may hold. */
const NON_FINITE: ReadonlyMap<string, number> = new Map([
  ["nan", NaN],
  ["+nan", NaN],
  ["-nan", NaN],
  ["inf", Infinity],
  ["+inf", Infinity],
  ["-inf", -Infinity],
  ["infinity", Infinity],
  ["+infinity", Infinity],
  ["-infinity", -Infinity],
]);

/** What syntax() found. */
const Syntax = { NONE: 0, INTEGER: 1, DECIMAL: 2 } as const;
type SyntaxKind = (typeof Syntax)[keyof typeof Syntax];

/** Whether `s` (already trimmed) is a decimal number: an integer, or one with a fraction or exponent. */
function syntax(s: string): SyntaxKind {
  const n = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 43 /* + */ || c === 45 /* - */) i++;
  let digits = 0;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    digits++;
  }
  if (i === n) return digits > 0 ? Syntax.INTEGER : Syntax.NONE;
  if (c === 46 /* . */) {
    for (i++; i < n; i++) {
      c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      digits++;
    }
  }
  if (digits === 0) return Syntax.NONE;
  if (i < n && (c === 101 /* e */ || c === 69) /* E */) {
    i++;
    c = s.charCodeAt(i);
    if (c === 43 || c === 45) i++;
    let exponent = 0;
    for (; i < n; i++) {
      c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      exponent++;
    }
    if (exponent === 0) return Syntax.NONE;
  }
  return i === n ? Syntax.DECIMAL : Syntax.NONE;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** `s` without leading and trailing spaces and tabs. */
export function trimCell(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isBlank(s.charCodeAt(a))) a++;
  while (b > a && isBlank(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

const RANGE: Readonly<Record<"int32" | "uint8", readonly [number, number]>> = {
  int32: [-2147483648, 2147483647],
  uint8: [0, 255],
};

type Store = TypedArrayOf[ColumnDType];

function grow<T extends Store>(data: T, needed: number): T {
  let capacity = Math.max(16, data.length);
  while (capacity < needed) capacity *= 2;
  const next = new (data.constructor as new (n: number) => T)(capacity);
  (next as unknown as { set(a: T): void }).set(data);
  return next;
}

export class ColumnBuilder {
  readonly dtype: ColumnDType;
  readonly allowNaN: boolean;
  #data: Store;
  /** int64 stores through 32-bit halves: no BigInt per value below 2^53. */
  #words: Uint32Array | undefined;
  #length = 0;

  constructor(dtype: ColumnDType, allowNaN: boolean, capacity = 1024) {
    this.dtype = dtype;
    this.allowNaN = allowNaN;
    this.#data = allocateStore(dtype, capacity);
    this.#words = this.#wordsOf(this.#data);
  }

  /** Values stored so far. */
  get length(): number {
    return this.#length;
  }

  #wordsOf(data: Store): Uint32Array | undefined {
    return data instanceof BigInt64Array && LITTLE_ENDIAN ? new Uint32Array(data.buffer, data.byteOffset, data.length * 2) : undefined;
  }

  #reserve(): number {
    const at = this.#length;
    if (at === this.#data.length) {
      this.#data = grow(this.#data, at + 1);
      this.#words = this.#wordsOf(this.#data);
    }
    this.#length = at + 1;
    return at;
  }

  #putSafeInt64(v: number): void {
    const at = this.#reserve();
    const words = this.#words;
    if (words === undefined) {
      (this.#data as BigInt64Array)[at] = BigInt(v);
      return;
    }
    const hi = Math.floor(v / TWO_32);
    words[2 * at] = v - hi * TWO_32;
    words[2 * at + 1] = hi >>> 0;
  }

  /** A JS number (a JSON value, an array element). */
  pushNumber(v: number): ValueProblemCode {
    if (this.dtype === "float32") {
      if (v !== v || v === Infinity || v === -Infinity) {
        if (!this.allowNaN) return ValueProblem.NOT_FINITE;
      } else if (!Number.isFinite(Math.fround(v))) {
        return ValueProblem.OUT_OF_RANGE;
      }
      const at = this.#reserve(); // before reading #data: reserving may replace it
      (this.#data as Float32Array)[at] = v;
      return ValueProblem.OK;
    }
    if (!Number.isFinite(v)) return ValueProblem.NOT_FINITE;
    if (!Number.isInteger(v)) return ValueProblem.NOT_INTEGER;
    if (this.dtype === "int64") {
      if (!Number.isSafeInteger(v)) return ValueProblem.INEXACT;
      this.#putSafeInt64(v);
      return ValueProblem.OK;
    }
    const [lo, hi] = RANGE[this.dtype];
    if (v < lo || v > hi) return ValueProblem.OUT_OF_RANGE;
    const at = this.#reserve();
    (this.#data as Int32Array | Uint8Array)[at] = v;
    return ValueProblem.OK;
  }

  /** An exact integer (a BigInt64Array element, a bigint from the user). */
  pushBigInt(v: bigint): ValueProblemCode {
    if (this.dtype === "int64") {
      if (v < INT64_MIN || v > INT64_MAX) return ValueProblem.OUT_OF_RANGE;
      const at = this.#reserve();
      (this.#data as BigInt64Array)[at] = v;
      return ValueProblem.OK;
    }
    // float32 rounds a bigint as it rounds any number.
    if (this.dtype === "float32") return this.pushNumber(Number(v));
    const [lo, hi] = RANGE[this.dtype];
    if (v < BigInt(lo) || v > BigInt(hi)) return ValueProblem.OUT_OF_RANGE;
    return this.pushNumber(Number(v));
  }

  /**
   * The text of a CSV cell (or a JSON string in an int64 column). Surrounding spaces and tabs are
   * ignored; an empty cell is NaN (allowed only in float32 with allowNaN).
   */
  pushText(cell: string): ValueProblemCode {
    const s = trimCell(cell);
    const kind = s.length === 0 ? Syntax.NONE : syntax(s);
    if (kind === Syntax.NONE) {
      const special = s.length === 0 ? NaN : NON_FINITE.get(s.toLowerCase());
      if (special === undefined) return ValueProblem.NOT_NUMBER;
      return this.pushNumber(special);
    }
    const v = Number(s);
    if (this.dtype === "float32") return Number.isFinite(v) ? this.pushNumber(v) : ValueProblem.OUT_OF_RANGE;
    if (this.dtype === "int64" && kind === Syntax.INTEGER && !Number.isSafeInteger(v)) {
      return this.pushBigInt(BigInt(s));
    }
    if (this.dtype === "int64" && Number.isInteger(v) && !Number.isSafeInteger(v)) {
      // "1e18": an integer written with an exponent, exact as a double; beyond int64 it is out of range.
      return Number.isFinite(v) ? this.pushBigInt(BigInt(v)) : ValueProblem.OUT_OF_RANGE;
    }
    if (!Number.isFinite(v)) return ValueProblem.OUT_OF_RANGE;
    return this.pushNumber(v);
  }

  /** The values pushed, in a typed array of exactly their number. The builder is spent. */
  finish(): Store {
    const data = this.#data;
    const out = data.length === this.#length ? data : (data.slice(0, this.#length) as Store);
    this.#data = allocateStore(this.dtype, 0);
    this.#words = undefined;
    this.#length = 0;
    return out;
  }
}

function allocateStore(dtype: ColumnDType, n: number): Store {
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "int32":
      return new Int32Array(n);
    case "int64":
      return new BigInt64Array(n);
    case "uint8":
      return new Uint8Array(n);
  }
}

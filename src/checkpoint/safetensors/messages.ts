/**
 * Every user-facing message of the safetensors reader and writer, and the error codes: one code
 * per way a file can be wrong (as the reference reader has one error variant per failure).
 * Tests assert against these same functions.
 */

export const SafetensorsErrorCode = {
  /** Fewer than the 8 bytes that hold the header length. */
  TOO_SHORT: "SAFETENSORS_TOO_SHORT",
  /** The header length field exceeds the 100 MB cap (the reference reader's cap). */
  HEADER_TOO_LARGE: "SAFETENSORS_HEADER_TOO_LARGE",
  /** The header length field points past the end of the file. */
  HEADER_LENGTH_INVALID: "SAFETENSORS_HEADER_LENGTH_INVALID",
  /** The header bytes are not valid UTF-8. */
  HEADER_NOT_UTF8: "SAFETENSORS_HEADER_NOT_UTF8",
  /** The header is not valid JSON. */
  HEADER_NOT_JSON: "SAFETENSORS_HEADER_NOT_JSON",
  /** The header is JSON but not an object. */
  HEADER_NOT_OBJECT: "SAFETENSORS_HEADER_NOT_OBJECT",
  /** A JSON object in the header has the same key twice. */
  DUPLICATE_KEY: "SAFETENSORS_DUPLICATE_KEY",
  /** `__metadata__` is not an object of string values. */
  METADATA_INVALID: "SAFETENSORS_METADATA_INVALID",
  /** A tensor entry is not an object with exactly dtype, shape and data_offsets. */
  ENTRY_INVALID: "SAFETENSORS_ENTRY_INVALID",
  /** A tensor's dtype is not one nbresume reads. */
  DTYPE_UNKNOWN: "SAFETENSORS_DTYPE_UNKNOWN",
  /** A tensor's shape is not a list of non-negative integers. */
  SHAPE_INVALID: "SAFETENSORS_SHAPE_INVALID",
  /** A tensor's element count or byte size exceeds 2^53 - 1 (the reference: ValidationOverflow). */
  SIZE_OVERFLOW: "SAFETENSORS_SIZE_OVERFLOW",
  /** A tensor's data_offsets are not two non-negative integers [begin, end] with begin <= end. */
  OFFSETS_INVALID: "SAFETENSORS_OFFSETS_INVALID",
  /** end - begin differs from shape product x element size. */
  SIZE_MISMATCH: "SAFETENSORS_SIZE_MISMATCH",
  /** The tensors' byte ranges leave a gap or overlap, or do not start at 0. */
  NOT_CONTIGUOUS: "SAFETENSORS_NOT_CONTIGUOUS",
  /** The file ends before the data the header describes. */
  TRUNCATED: "SAFETENSORS_TRUNCATED",
  /** The file has bytes after the data the header describes. */
  TRAILING_BYTES: "SAFETENSORS_TRAILING_BYTES",
  /** Reading the bytes failed (an I/O error from the source). */
  READ_FAILED: "SAFETENSORS_READ_FAILED",
  /** The tensor's memory could not be allocated. */
  ALLOCATION_FAILED: "SAFETENSORS_ALLOCATION_FAILED",
} as const;

export type SafetensorsErrorCodeValue = (typeof SafetensorsErrorCode)[keyof typeof SafetensorsErrorCode];

const DAMAGED = "The file is damaged, truncated or not a safetensors file; load an earlier checkpoint, or save this one again.";

export const safetensorsMessages = {
  tooShort: (where: string, size: number) =>
    `${where}: not a safetensors file: it has ${size} byte(s), fewer than the 8 that hold the header length. ${DAMAGED}`,
  headerTooLarge: (where: string, length: bigint, cap: number) =>
    `${where}: the header length field says ${length} bytes, more than the ${cap}-byte cap safetensors readers allow. ${DAMAGED}`,
  headerLengthInvalid: (where: string, length: number, fileSize: number) =>
    `${where}: the header length field says ${length} bytes, but the file has only ${fileSize - 8} byte(s) after it. ${DAMAGED}`,
  headerNotUtf8: (where: string) => `${where}: the header is not valid UTF-8. ${DAMAGED}`,
  headerNotJson: (where: string, detail: string) => `${where}: the header is not valid JSON (${detail}). ${DAMAGED}`,
  headerNotObject: (where: string, found: string) => `${where}: the header must be a JSON object of tensors, found ${found}. ${DAMAGED}`,
  duplicateKey: (where: string, key: string) =>
    `${where}: the header names ${JSON.stringify(key)} twice in one object; readers would disagree on which one counts. ${DAMAGED}`,
  metadataInvalid: (where: string, detail: string) => `${where}: "__metadata__" must be an object whose values are strings, but ${detail}. ${DAMAGED}`,
  entryInvalid: (where: string, name: string, detail: string) =>
    `${where}: tensor ${JSON.stringify(name)} must be an object with exactly "dtype", "shape" and "data_offsets", but ${detail}. ${DAMAGED}`,
  dtypeUnknown: (where: string, name: string, dtype: unknown, supported: readonly string[], otherFormatDtypes: readonly string[]) =>
    typeof dtype === "string" && otherFormatDtypes.includes(dtype)
      ? `${where}: tensor ${JSON.stringify(name)} has dtype ${dtype}, which nbresume does not load (it reads ${supported.join(" ")}). Convert the tensor to one of those before loading it here.`
      : `${where}: tensor ${JSON.stringify(name)} has dtype ${JSON.stringify(dtype)}, which is not a safetensors dtype nbresume reads (${supported.join(" ")}). ${DAMAGED}`,
  shapeInvalid: (where: string, name: string, shape: unknown) =>
    `${where}: tensor ${JSON.stringify(name)} has shape ${JSON.stringify(shape)}; a shape is a list of non-negative integers. ${DAMAGED}`,
  sizeOverflow: (where: string, name: string, shape: readonly number[]) =>
    `${where}: tensor ${JSON.stringify(name)} has shape [${shape.join(", ")}], whose byte size exceeds 2^53 - 1. ${DAMAGED}`,
  offsetsInvalid: (where: string, name: string, offsets: unknown) =>
    `${where}: tensor ${JSON.stringify(name)} has data_offsets ${JSON.stringify(offsets)}; they must be two non-negative integers [begin, end] with begin <= end. ${DAMAGED}`,
  sizeMismatch: (where: string, name: string, dtype: string, shape: readonly number[], expected: number, actual: number) =>
    `${where}: tensor ${JSON.stringify(name)} (${dtype} [${shape.join(", ")}]) needs ${expected} bytes, but its data_offsets span ${actual}. ${DAMAGED}`,
  notContiguous: (where: string, name: string, begin: number, expected: number) =>
    `${where}: tensor ${JSON.stringify(name)} starts at data offset ${begin}, but the previous tensor ends at ${expected} (${begin > expected ? "a gap" : "an overlap"}); tensors must cover the data section back to back from 0. ${DAMAGED}`,
  truncated: (where: string, expectedSize: number, fileSize: number) =>
    `${where}: the header describes a ${expectedSize}-byte file, but it has only ${fileSize} bytes (truncated). ${DAMAGED}`,
  trailingBytes: (where: string, expectedSize: number, fileSize: number) =>
    `${where}: the header describes a ${expectedSize}-byte file, but it has ${fileSize} bytes (${fileSize - expectedSize} unexplained at the end). ${DAMAGED}`,
  sourceEnded: (where: string, position: number, wanted: number, size: number) =>
    `${where}: the source ended while reading ${wanted} byte(s) at offset ${position} (it claimed ${size} bytes); was the file changed or truncated while being read? Read it again, or load an earlier checkpoint.`,
  readFailed: (where: string, position: number, wanted: number, cause: unknown) =>
    `${where}: reading ${wanted} byte(s) at offset ${position} failed: ${cause instanceof Error ? cause.message : String(cause)}. Check the disk and the file's permissions, then try again.`,
  allocationFailed: (where: string, name: string, bytes: number) =>
    `${where}: could not allocate ${bytes} bytes for tensor ${JSON.stringify(name)}. Free memory (or load on a machine with more), then try again.`,

  // Bad arguments to the writer (TypeError / RangeError).
  notATensorGroup: (found: string) => `writeSafetensors: tensors must be an object mapping names to tensors, got ${found}.`,
  badTensorName: (name: string, why: string) => `writeSafetensors: tensor name ${JSON.stringify(name)} ${why}. Rename the tensor.`,
  notATensor: (name: string) => `writeSafetensors: tensor ${JSON.stringify(name)} is not a { dtype, shape, data } object.`,
  badDType: (name: string, dtype: unknown, supported: readonly string[]) =>
    `writeSafetensors: tensor ${JSON.stringify(name)} has dtype ${JSON.stringify(dtype)}; use one of ${supported.join(" ")}.`,
  badShape: (name: string, shape: unknown) =>
    `writeSafetensors: tensor ${JSON.stringify(name)} has shape ${JSON.stringify(shape)}; a shape is an array of non-negative integers.`,
  badData: (name: string, dtype: string, expected: string, found: string) =>
    `writeSafetensors: tensor ${JSON.stringify(name)} is ${dtype}, so its data must be a ${expected}, got ${found}.`,
  dataLength: (name: string, shape: readonly number[], expected: number, actual: number) =>
    `writeSafetensors: tensor ${JSON.stringify(name)} has shape [${shape.join(", ")}] (${expected} elements) but its data has ${actual}. Make data.length equal the product of the shape.`,
  tooLarge: (bytes: string) => `writeSafetensors: the file would be ${bytes} bytes, more than 2^53 - 1. Split the tensors into several groups.`,
  badMetadata: (detail: string) => `writeSafetensors: metadata must be an object of string values; ${detail}.`,
  headerTooLargeToWrite: (bytes: number, cap: number) =>
    `writeSafetensors: the header would be ${bytes} bytes, more than the ${cap}-byte cap safetensors readers accept. Use fewer tensors or less metadata per file.`,
  bigEndian: () => "nbresume's safetensors code needs a little-endian machine (it writes typed arrays' bytes as they are in memory); this one is big-endian.",
  headerPrefixTooShort: (have: number, need: number) => `parseHeader: pass the first ${need} bytes of the file (8 + header length); got ${have}.`,
} as const;

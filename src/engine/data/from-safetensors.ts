/**
 * A dataset from a safetensors file: one column per tensor, its first dimension counting
 * examples (all tensors must count the same), the rest one example's shape.
 *
 *   // python: safetensors.numpy.save_file({"x": x, "y": y}, "train.safetensors")
 *   const d = await fromSafetensors("train.safetensors");
 *
 * The file is read by the checkpoint store's own reader, which validates hostile files (capped
 * header, overflow-safe sizes, contiguous offsets, exact coverage) and fails with its
 * SAFETENSORS_* codes. Tensors of a column dtype are taken as they are; float64, float16,
 * bfloat16, int16, int8 and bool are converted without loss or refused (element-conversion.ts).
 * The file's `__metadata__` is kept in info.metadata.
 */
import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename } from "node:path";
import { createHash } from "../../checkpoint/hash.js";
import { fileByteSource } from "../../checkpoint/safetensors/byte-source.js";
import { readSafetensors } from "../../checkpoint/safetensors/reader.js";
import { NbresumeError } from "../../errors.js";
import { type DType, tensorBytes } from "../../tensor.js";
import type { JsonObject } from "../nn/json.js";
import { arrayColumns } from "./array-columns.js";
import { sourceInfo, unreadable } from "./data-file.js";
import type { Dataset } from "./dataset.js";
import { convertElements, type ElementType } from "./element-conversion.js";
import { DataErrorCode, dataMessages as msg } from "./messages.js";
import type { ArrayColumn } from "./npy-array.js";
import { checkJsonInfo, checkName } from "./options-check.js";

export interface FromSafetensorsOptions {
  /** The dataset's name (default: the file's name), stored in data-loader cursors. */
  readonly name?: string;
  /** Added to the dataset's info. */
  readonly info?: JsonObject;
}

const WHO = "fromSafetensors";

const ELEMENT_OF: Readonly<Record<DType, ElementType>> = {
  float64: "f8",
  float32: "f4",
  float16: "f2",
  bfloat16: "bf2",
  int64: "i8",
  int32: "i4",
  int16: "i2",
  int8: "i1",
  uint8: "u1",
  bool: "b1",
};

const LOSSY_FIX: Partial<Record<DType, string>> = {
  float64: "Save it as float32 (tensor.float() / a.astype(np.float32)); training computes in float32 anyway.",
};

/**
 * Reads `path` (a safetensors file) into a Dataset. Throws TypeError for bad options, and
 * NbresumeError with a SAFETENSORS_* code for a malformed file or a DATA_* code (`where` = path)
 * for an unreadable file, a 0-d tensor, tensors of different lengths or values a column cannot
 * hold exactly.
 */
export async function fromSafetensors(path: string, options: FromSafetensorsOptions = {}): Promise<Dataset> {
  if (typeof path !== "string" || path.length === 0) throw new TypeError(msg.badOption(WHO, "path", "a file path", path));
  const name = checkName(WHO, options.name, basename(path));
  const extra = checkJsonInfo(WHO, options.info);
  let fh: FileHandle;
  let size: number;
  try {
    fh = await open(path, "r");
    size = (await fh.stat()).size;
  } catch (cause) {
    throw unreadable(path, cause);
  }
  const hash = createHash();
  let file;
  try {
    file = await readSafetensors(fileByteSource(fh, size, path), { where: path, observe: (chunk) => hash.update(chunk) });
  } finally {
    await fh.close();
  }
  const arrays: (readonly [string, ArrayColumn])[] = [];
  for (const [column, t] of Object.entries(file.tensors)) {
    if (t.shape.length === 0) throw new NbresumeError(DataErrorCode.ARRAY_SCALAR, msg.arrayScalar(path, column), { where: path });
    if (t.shape.some((d) => d === 0)) {
      throw new NbresumeError(
        DataErrorCode.FILE_EMPTY,
        msg.fileEmpty(path, `tensor ${JSON.stringify(column)} has shape [${t.shape.join(", ")}], which holds no values`),
        { where: path },
      );
    }
    const converted = convertElements(ELEMENT_OF[t.dtype], tensorBytes(t), true, true);
    if (!converted.ok) {
      throw new NbresumeError(
        DataErrorCode.CONVERSION_LOSSY,
        msg.conversionLossy(path, column, t.dtype, "float32", converted.index, converted.value, LOSSY_FIX[t.dtype] ?? ""),
        { where: path },
      );
    }
    arrays.push([column, { count: t.shape[0]!, column: { dtype: converted.dtype, shape: t.shape.slice(1), data: converted.data } }]);
  }
  const { count, columns } = arrayColumns(path, arrays, "it holds no tensors");
  const info: Record<string, JsonObject> = { source: sourceInfo({ format: "safetensors", file: basename(path), bytes: size, hash: hash.digest() }) };
  if (Object.keys(file.metadata).length > 0) info["metadata"] = { ...file.metadata };
  return { name, count, columns, info: { ...info, ...extra } };
}

/**
 * A dataset of one column from a numpy .npy file: the array's first dimension counts examples,
 * the rest is one example's shape.
 *
 *   const d = await fromNpy("images.npy");            // column "images", e.g. float32 [28, 28]
 *
 * The header is read and validated first (npy-header.ts: capped, overflow-safe, exact coverage
 * of the file), then the data is read straight into the column's array: a float32, int32, int64
 * or uint8 array costs one copy of its bytes in memory, not two. Other element types are
 * converted without loss or refused (element-conversion.ts).
 */
import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename } from "node:path";
import { createHash } from "../../checkpoint/hash.js";
import { NbresumeError } from "../../errors.js";
import type { JsonObject } from "../nn/json.js";
import { sourceInfo, unreadable } from "./data-file.js";
import type { Dataset } from "./dataset.js";
import { DataErrorCode, dataMessages as msg } from "./messages.js";
import { npyColumn } from "./npy-array.js";
import { NPY_PREFIX_BYTES, parseNpyHeader } from "./npy-header.js";
import { checkJsonInfo, checkName } from "./options-check.js";
import { setOwn } from "../../shared/own-record.js";

export interface FromNpyOptions {
  /** The column's name (default: the file's name without ".npy"). */
  readonly column?: string;
  /** The dataset's name (default: the file's name), stored in data-loader cursors. */
  readonly name?: string;
  /** Added to the dataset's info. */
  readonly info?: JsonObject;
}

const WHO = "fromNpy";

async function readFully(fh: FileHandle, into: Uint8Array, position: number, path: string): Promise<void> {
  let filled = 0;
  while (filled < into.byteLength) {
    const length = Math.min(into.byteLength - filled, 1 << 30);
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(into, filled, length, position + filled));
    } catch (cause) {
      throw unreadable(path, cause);
    }
    if (bytesRead === 0)
      throw new NbresumeError(DataErrorCode.FILE_UNREADABLE, msg.fileUnreadable(path, "the file became shorter while it was read", process.cwd()), {
        where: path,
      });
    filled += bytesRead;
  }
}

/**
 * Reads `path` (a .npy file) into a one-column Dataset. Throws TypeError for bad options and
 * NbresumeError (DATA_* codes, `where` = path) for an unreadable, malformed, truncated or
 * unsupported file, a 0-d array, or values its column dtype cannot hold exactly.
 */
export async function fromNpy(path: string, options: FromNpyOptions = {}): Promise<Dataset> {
  if (typeof path !== "string" || path.length === 0) throw new TypeError(msg.badOption(WHO, "path", "a file path", path));
  const file = basename(path);
  const column = checkName(WHO, options.column, file.replace(/\.npy$/i, "") || file);
  const name = checkName(WHO, options.name, file);
  const extra = checkJsonInfo(WHO, options.info);
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (cause) {
    throw unreadable(path, cause);
  }
  try {
    let size: number;
    try {
      size = (await fh.stat()).size;
    } catch (cause) {
      throw unreadable(path, cause);
    }
    const prefix = new Uint8Array(Math.min(size, NPY_PREFIX_BYTES));
    await readFully(fh, prefix, 0, path);
    const header = parseNpyHeader(prefix, size, path);
    const raw = new Uint8Array(header.dataBytes);
    await readFully(fh, raw, header.dataStart, path);
    const hash = createHash();
    hash.update(prefix.subarray(0, header.dataStart));
    hash.update(raw);
    const digest = hash.digest();
    const array = npyColumn(header, raw, path, column, true);
    const columns = {};
    setOwn(columns, column, array.column);
    return { name, count: array.count, columns, info: { source: sourceInfo({ format: "npy", file, bytes: size, hash: digest }), ...extra } };
  } finally {
    await fh.close();
  }
}

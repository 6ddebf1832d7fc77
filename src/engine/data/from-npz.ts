/**
 * A dataset from a numpy .npz archive (numpy.savez / savez_compressed): one column per array,
 * named by its entry ("x.npy" → "x"), all with the same number of examples (first dimension).
 *
 *   // python: np.savez("train.npz", x=x.astype(np.float32), y=y.astype(np.int64))
 *   const d = await fromNpz("train.npz");              // columns x and y
 *
 * The archive is validated as untrusted input (zip-archive.ts), then each entry as a .npy file
 * (npy-header.ts); an entry is inflated only up to its declared size, one at a time.
 */
import { basename } from "node:path";
import { NbresumeError } from "../../errors.js";
import type { JsonObject } from "../nn/json.js";
import { arrayColumns } from "./array-columns.js";
import { readDataFile, sourceInfo } from "./data-file.js";
import type { Dataset } from "./dataset.js";
import { dataMessages as msg } from "./messages.js";
import { type ArrayColumn, parseNpy } from "./npy-array.js";
import { checkJsonInfo, checkName } from "./options-check.js";
import { listZipEntries, readZipEntry } from "./zip-archive.js";

export interface FromNpzOptions {
  /** The dataset's name (default: the file's name), stored in data-loader cursors. */
  readonly name?: string;
  /** Added to the dataset's info. */
  readonly info?: JsonObject;
}

const WHO = "fromNpz";

/** The columns of an .npz held in memory (`file` names it in messages). */
export function parseNpz(bytes: Uint8Array, file: string): { count: number; columns: Dataset["columns"] } {
  const arrays: (readonly [string, ArrayColumn])[] = [];
  for (const entry of listZipEntries(bytes, file)) {
    const { data, owned } = readZipEntry(bytes, entry, file);
    const column = entry.name.slice(0, -".npy".length);
    try {
      arrays.push([column, parseNpy(data, `${file} (${entry.name})`, column, owned)]);
    } catch (e) {
      // The message names the entry; `where` stays the archive, as for every other error.
      if (e instanceof NbresumeError) throw new NbresumeError(e.code, e.message, { where: file, cause: e });
      throw e;
    }
  }
  return arrayColumns(file, arrays, "the archive holds no arrays");
}

/**
 * Reads `path` (an .npz archive) into a Dataset. Throws TypeError for bad options and
 * NbresumeError (DATA_ZIP_*, DATA_NPY_* and other DATA_* codes, `where` = path) for an
 * unreadable or malformed archive or array, or arrays of different lengths.
 */
export async function fromNpz(path: string, options: FromNpzOptions = {}): Promise<Dataset> {
  if (typeof path !== "string" || path.length === 0) throw new TypeError(msg.badOption(WHO, "path", "a file path", path));
  const name = checkName(WHO, options.name, basename(path));
  const extra = checkJsonInfo(WHO, options.info);
  const { bytes, source } = await readDataFile(path, "npz");
  const { count, columns } = parseNpz(bytes, path);
  return { name, count, columns, info: { source: sourceInfo(source), ...extra } };
}

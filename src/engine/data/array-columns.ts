/**
 * Columns from the arrays of one file (.npz entries, safetensors tensors): each array's first
 * dimension counts examples, and all must count the same examples, or the file is refused
 * naming every array's count.
 */
import { NbresumeError } from "../../errors.js";
import type { Column } from "./dataset.js";
import { DataErrorCode, dataMessages as msg } from "./messages.js";
import type { ArrayColumn } from "./npy-array.js";
import { setOwn } from "../../shared/own-record.js";

export function arrayColumns(
  file: string,
  arrays: readonly (readonly [string, ArrayColumn])[],
  what: string,
): { count: number; columns: Record<string, Column> } {
  if (arrays.length === 0) throw new NbresumeError(DataErrorCode.FILE_EMPTY, msg.fileEmpty(file, what), { where: file });
  const count = arrays[0]![1].count;
  if (arrays.some(([, a]) => a.count !== count)) {
    throw new NbresumeError(
      DataErrorCode.COLUMNS_MISMATCH,
      msg.columnsMismatch(
        file,
        arrays.map(([name, a]) => [name, a.count] as const),
      ),
      { where: file },
    );
  }
  const columns: Record<string, Column> = {};
  for (const [name, a] of arrays) setOwn(columns, name, a.column);
  return { count, columns };
}

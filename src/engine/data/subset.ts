/**
 * A dataset of chosen rows of another: every column's rows copied in the order given, the parent's
 * info kept, and `rows` recording where each example came from, so a run can record (and check
 * on resume) exactly which examples it trained on. A subset of a subset refers to the original
 * dataset: its rows are composed, and `how` nests the earlier choice under `within`.
 */
import type { JsonObject } from "../nn/json.js";
import { allocate, type TensorData } from "../../tensor.js";
import { checkDataset, rowLength } from "./check-dataset.js";
import type { Column, Dataset } from "./dataset.js";
import { dataMessages as msg } from "./messages.js";
import { setOwn } from "../../shared/own-record.js";

/**
 * The examples `rows` of `dataset` (row indices, repeats allowed), named `name` (default
 * "<dataset>/subset"). `how` says how the rows were chosen, as JSON (recorded with them). Throws
 * RangeError for a row outside the dataset or an empty `rows`.
 */
export function subset(dataset: Dataset, rows: Int32Array | readonly number[], how: JsonObject, name = `${dataset.name}/subset`): Dataset {
  checkDataset("subset", dataset);
  if (typeof name !== "string" || name.length === 0) throw new TypeError(msg.badOption("subset", "name", "a non-empty string", name));
  if (typeof how !== "object" || how === null || Array.isArray(how)) throw new TypeError(msg.badOption("subset", "how", "a JSON object", how));
  const picked = Int32Array.from(rows as ArrayLike<number>);
  if (picked.length === 0) throw new RangeError(msg.badOption("subset", "rows", "a non-empty list of rows", rows));
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (typeof r !== "number" || !Number.isInteger(r) || r < 0 || r >= dataset.count) {
      throw new RangeError(msg.subsetRowInvalid(dataset.name, i, r, dataset.count));
    }
  }
  const columns: Record<string, Column> = {};
  for (const [key, c] of Object.entries(dataset.columns)) {
    const per = rowLength(c.shape);
    const out = allocate(c.dtype, picked.length * per);
    copyRows(c.data, out, picked, per);
    setOwn(columns, key, { dtype: c.dtype, shape: [...c.shape], data: out });
  }
  const parent = dataset.rows;
  const result: Dataset = {
    name,
    count: picked.length,
    columns,
    info: dataset.info,
    rows:
      parent === undefined
        ? { parent: dataset.name, parentCount: dataset.count, how, rows: picked }
        : { parent: parent.parent, parentCount: parent.parentCount, how: { ...how, within: parent.how }, rows: picked.map((r) => parent.rows[r]!) },
  };
  return result;
}

function copyRows(source: TensorData, out: TensorData, rows: Int32Array, per: number): void {
  if (per === 1) {
    const from = source as unknown as { [i: number]: number | bigint };
    const to = out as unknown as { [i: number]: number | bigint };
    for (let r = 0; r < rows.length; r++) to[r] = from[rows[r]!]!;
    return;
  }
  for (let r = 0; r < rows.length; r++) {
    const at = rows[r]! * per;
    (out as Float32Array).set((source as Float32Array).subarray(at, at + per), r * per);
  }
}

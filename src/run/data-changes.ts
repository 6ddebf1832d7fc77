/**
 * What changed in the data since a checkpoint, in words: the run's config records each dataset
 * (run-config.ts `dataset.train`, `dataset.test`: datasetRecord's name, size, columns, info with
 * the file's name, size and hash, a hash of the contents, a split's rows), and a changed file shows
 * up there only as hash keys (`dataset.train.info.source.hash`, `…contentHash`). This reads the two
 * records and says, per dataset, what a person would: which file, its size then and now, whether
 * its contents differ, how many examples, which columns, which split.
 */
import type { JsonObject, JsonValue } from "../engine/nn/json.js";
import { diffConfigs } from "../shared/config-diff.js";

/** One dataset whose record differs from the checkpoint's. */
export interface DataChange {
  readonly which: "train" | "test";
  /** Its file, when the record names one: the name then and now, their sizes, whether the bytes differ. */
  readonly file?: { readonly old: string; readonly new: string; readonly oldBytes: number; readonly newBytes: number; readonly differs: boolean };
  /** The examples' contents differ (their hash). */
  readonly contents: boolean;
  /** The hash of its contents is the same: only the file around its rows changed (e.g. the other split's rows). */
  readonly sameRows: boolean;
  readonly count?: { readonly old: number; readonly new: number };
  /** Its columns (name: dtype[shape]) then and now, when they differ. */
  readonly columns?: { readonly old: readonly string[]; readonly new: readonly string[] };
  /** Another split of the parent (the rows chosen differ). */
  readonly split: boolean;
  /** It was not there, or is not any more (a held-out set added or dropped): its name then and now. */
  readonly presence?: { readonly old: string | null; readonly new: string | null };
}

function object(v: JsonValue | undefined): JsonObject | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as JsonObject) : undefined;
}

function source(record: JsonObject): { file: string; bytes: number; hash: unknown } | undefined {
  const s = object(object(record["info"])?.["source"]);
  const file = s?.["file"];
  const bytes = s?.["bytes"];
  return typeof file === "string" && typeof bytes === "number" ? { file, bytes, hash: s?.["hash"] } : undefined;
}

function columnList(record: JsonObject): string[] {
  const columns = object(record["columns"]) ?? {};
  return Object.entries(columns).map(([name, c]) => {
    const spec = object(c);
    const shape = spec?.["shape"];
    const dims = Array.isArray(shape) ? (shape as readonly JsonValue[]).map((d) => JSON.stringify(d)).join(", ") : "?";
    const dtype = spec?.["dtype"];
    return `${name}: ${typeof dtype === "string" ? dtype : "?"}[${dims}]`;
  });
}

function nameOf(record: JsonObject | undefined): string | null {
  const name = record?.["name"];
  return typeof name === "string" ? name : null;
}

function changeOf(which: "train" | "test", old: JsonObject | undefined, now: JsonObject | undefined): DataChange | undefined {
  if (old === undefined && now === undefined) return undefined;
  if (old === undefined || now === undefined) return { which, contents: true, sameRows: false, split: false, presence: { old: nameOf(old), new: nameOf(now) } };
  if (diffConfigs(old, now).same) return undefined;
  const a = source(old);
  const b = source(now);
  const file = a !== undefined && b !== undefined ? { old: a.file, new: b.file, oldBytes: a.bytes, newBytes: b.bytes, differs: a.hash !== b.hash } : undefined;
  const hashes = [old["contentHash"], now["contentHash"]];
  const hashed = hashes.every((h) => typeof h === "string");
  const contents = hashed ? hashes[0] !== hashes[1] : (file?.differs ?? false);
  const count =
    old["count"] !== now["count"] && typeof old["count"] === "number" && typeof now["count"] === "number"
      ? { old: old["count"], new: now["count"] }
      : undefined;
  const oldColumns = columnList(old);
  const newColumns = columnList(now);
  const columns = oldColumns.join("; ") === newColumns.join("; ") ? undefined : { old: oldColumns, new: newColumns };
  const split = !diffConfigs(old["rows"] ?? null, now["rows"] ?? null).same;
  return {
    which,
    ...(file === undefined ? {} : { file }),
    contents,
    sameRows: hashed && !contents,
    ...(count === undefined ? {} : { count }),
    ...(columns === undefined ? {} : { columns }),
    split,
  };
}

/** The datasets whose records differ between the checkpoint's config (`old`) and this run's (`now`): training first. */
export function dataChanges(old: JsonObject, now: JsonObject): DataChange[] {
  const a = object(old["dataset"]);
  const b = object(now["dataset"]);
  // A checkpoint that records no datasets (an older version wrote it): nothing to compare.
  if (a === undefined || b === undefined) return [];
  const changes: DataChange[] = [];
  for (const which of ["train", "test"] as const) {
    const change = changeOf(which, object(a[which]), object(b[which]));
    if (change !== undefined) changes.push(change);
  }
  return changes;
}

/** Whether a config path is about the data (the `data` summary or the `dataset` records). */
export function isDataPath(path: string): boolean {
  return /^(data|dataset)([.[]|$)/.test(path);
}

/**
 * A dataset from a CSV file, streamed (the file is never held whole; ~100 MB parse in about a
 * second here), every cell checked against its column's dtype.
 *
 *   const d = await fromCsv("iris.csv", { columns: {
 *     x: { from: ["sepal_length", "sepal_width", "petal_length", "petal_width"] },   // float32 [4]
 *     label: { dtype: "uint8", from: "species_id" },                                 // uint8 []
 *   } });
 *
 * A column reads one field (by header name or 0-based index) or several: `from: [...]` makes a
 * column of shape [from.length] (or `shape`, e.g. 784 pixel fields as [28, 28]), values in the
 * listed order. Without `columns`, every field becomes a float32 column named by the header (by
 * its index without a header). Errors name the file, the line and the column, and say what to do.
 */
import { basename } from "node:path";
import { NbresumeError } from "../../errors.js";
import type { JsonObject } from "../nn/json.js";
import { ColumnBuilder, ValueProblem } from "./column-builder.js";
import { CsvRecords } from "./csv-records.js";
import { sourceInfo, streamTextFile } from "./data-file.js";
import type { Column, ColumnDType, Dataset } from "./dataset.js";
import { DataErrorCode, dataMessages as msg } from "./messages.js";
import { setOwn } from "../../shared/own-record.js";
import { showCell, valueError } from "./value-error.js";
import { checkColumnsOption, checkJsonInfo, checkName, checkShapeOption } from "./options-check.js";

/** One dataset column read from CSV fields. */
export interface CsvColumn {
  /** Default "float32". */
  readonly dtype?: ColumnDType;
  /**
   * The field(s) it reads: a header name or a 0-based index, or an array of them for several
   * values per example. Default: the column's own name.
   */
  readonly from?: string | number | readonly (string | number)[];
  /** With an array `from`: one example's shape (its product = from.length). Default [from.length]. */
  readonly shape?: readonly number[];
}

export interface FromCsvOptions {
  /** The dataset's columns; a dtype alone (`label: "uint8"`) reads the field of that name. */
  readonly columns?: Readonly<Record<string, CsvColumn | ColumnDType>>;
  /** Whether line 1 names the fields (default true). */
  readonly header?: boolean;
  /** One character (default ","; "\t" for TSV). */
  readonly delimiter?: string;
  /** Keep NaN, ±infinity and empty cells (as NaN) in float32 columns instead of failing (default false). */
  readonly allowNaN?: boolean;
  /** The dataset's name (default: the file's name), stored in data-loader cursors. */
  readonly name?: string;
  /** Added to the dataset's info (e.g. { classes: 3 }). */
  readonly info?: JsonObject;
}

interface Plan {
  readonly name: string;
  readonly dtype: ColumnDType;
  readonly shape: readonly number[];
  readonly fields: readonly number[];
  /** Each field as messages name it: its header name in quotes, or "index i". */
  readonly labels: readonly string[];
  readonly builder: ColumnBuilder;
}

const WHO = "fromCsv";

/** What only CSV knows of a column: `from` names fields, several of them with a `shape`. */
function checkCsvColumn(name: string, spec: CsvColumn): void {
  const from = spec.from;
  const ok = (f: unknown): boolean => typeof f === "string" || (typeof f === "number" && Number.isSafeInteger(f) && f >= 0);
  if (from !== undefined && !(Array.isArray(from) ? from.length > 0 && from.every(ok) : ok(from))) {
    throw new TypeError(msg.badOption(WHO, `columns.${name}.from`, "a header name, a 0-based field index, or a non-empty array of them", from));
  }
  if (spec.shape !== undefined) {
    const n = Array.isArray(from) ? from.length : 1;
    checkShapeOption(WHO, `columns.${name}.shape`, spec.shape, n);
  }
}

/** Finds each column's fields in the header (or the first row's width without one). */
function plan(file: string, specs: Readonly<Record<string, CsvColumn>>, header: readonly string[] | undefined, width: number, allowNaN: boolean): Plan[] {
  const where = { where: file };
  const positions = new Map<string, number[]>();
  header?.forEach((h, i) => {
    const list = positions.get(h);
    if (list === undefined) positions.set(h, [i]);
    else list.push(i);
  });
  return Object.entries(specs).map(([name, spec]) => {
    const from = spec.from ?? name;
    const list = Array.isArray(from) ? from : [from];
    const fields = list.map((f: string | number) => {
      if (typeof f === "number") {
        if (f >= width) throw new NbresumeError(DataErrorCode.COLUMN_MISSING, msg.csvIndexMissing(file, name, f, width), where);
        return f;
      }
      if (header === undefined) throw new NbresumeError(DataErrorCode.COLUMN_MISSING, msg.csvNameWithoutHeader(file, name, f), where);
      const at = positions.get(f);
      if (at === undefined) throw new NbresumeError(DataErrorCode.COLUMN_MISSING, msg.csvHeaderMissing(file, name, f, header), where);
      if (at.length > 1)
        throw new NbresumeError(
          DataErrorCode.CSV_HEADER,
          msg.csvHeaderDuplicate(
            file,
            f,
            at.map((i) => i + 1),
            name,
          ),
          where,
        );
      return at[0]!;
    });
    const dtype = spec.dtype ?? "float32";
    const shape = spec.shape ?? (Array.isArray(from) ? [from.length] : []);
    const labels = fields.map((i) => (header === undefined ? `index ${i}` : JSON.stringify(header[i])));
    return { name, dtype, shape, fields, labels, builder: new ColumnBuilder(dtype, allowNaN && dtype === "float32") };
  });
}

/**
 * The columns of CSV text fed in chunks: `push` each chunk, then `finish`. fromCsv() feeds it a
 * file; parseCsvText() a string. `file` names the source in messages.
 */
function csvColumns(file: string, options: FromCsvOptions): { push(text: string): void; finish(): { count: number; columns: Record<string, Column> } } {
  const { header = true, delimiter = ",", allowNaN = false } = options;
  if (typeof delimiter !== "string" || delimiter.length !== 1 || delimiter === '"' || delimiter === "\n" || delimiter === "\r") {
    throw new RangeError(msg.badOption(WHO, "delimiter", "one character other than a quote or a line break", delimiter));
  }
  const specs = checkColumnsOption(WHO, options.columns, checkCsvColumn);

  let plans: Plan[] | undefined;
  let width = 0;
  let widthFrom = "";
  let count = 0;
  const onRecord = (fields: string[], line: number): void => {
    if (plans === undefined) {
      width = fields.length;
      if (header) {
        const names = fields.map((f) => f.trim());
        widthFrom = "the header (line 1)";
        plans = plan(file, specs ?? defaultSpecs(file, names), names, width, allowNaN);
        return;
      }
      widthFrom = `the first row (line ${line})`;
      plans = plan(
        file,
        specs ??
          defaultSpecs(
            file,
            fields.map((_, i) => String(i)),
          ),
        undefined,
        width,
        allowNaN,
      );
    }
    if (fields.length !== width) {
      throw new NbresumeError(DataErrorCode.CSV_RAGGED, msg.csvRagged(file, line, fields.length, width, widthFrom), { where: file });
    }
    for (const p of plans) {
      const { builder, fields: at } = p;
      for (let k = 0; k < at.length; k++) {
        const cell = fields[at[k]!]!;
        const problem = builder.pushText(cell);
        if (problem !== ValueProblem.OK) {
          throw valueError(problem, { file, line, column: p.name, field: p.labels[k]! }, showCell(cell.trim()), p.dtype);
        }
      }
    }
    count++;
  };
  const records = new CsvRecords(file, delimiter, onRecord);
  return {
    push: (text) => records.push(text),
    finish() {
      records.end();
      if (plans === undefined) throw new NbresumeError(DataErrorCode.FILE_EMPTY, msg.fileEmpty(file, "the file is empty"), { where: file });
      if (count === 0) throw new NbresumeError(DataErrorCode.FILE_EMPTY, msg.fileEmpty(file, "no data rows after the header"), { where: file });
      const columns: Record<string, Column> = {};
      for (const p of plans) setOwn(columns, p.name, { dtype: p.dtype, shape: p.shape, data: p.builder.finish() });
      return { count, columns };
    },
  };
}

/**
 * Reads `path` as CSV into a Dataset. Throws TypeError/RangeError for bad options and
 * NbresumeError (DATA_* codes, `where` = path) for an unreadable or malformed file: ragged rows,
 * quoting errors, cells that are not numbers or do not fit their dtype, NaN where not allowed,
 * a missing or ambiguous header field, no data rows.
 */
export async function fromCsv(path: string, options: FromCsvOptions = {}): Promise<Dataset> {
  if (typeof path !== "string" || path.length === 0) throw new TypeError(msg.badOption(WHO, "path", "a file path", path));
  const name = checkName(WHO, options.name, basename(path));
  const extra = checkJsonInfo(WHO, options.info);
  const reader = csvColumns(path, options);
  const source = await streamTextFile(path, "csv", (text) => reader.push(text));
  const { count, columns } = reader.finish();
  return { name, count, columns, info: { source: sourceInfo(source), ...extra } };
}

/** CSV text already in memory as the columns fromCsv() would read (`file` names it in messages). */
export function parseCsvText(text: string, file: string, options: FromCsvOptions = {}): { count: number; columns: Record<string, Column> } {
  const reader = csvColumns(file, options);
  reader.push(text);
  return reader.finish();
}

/** One float32 column per field, named by the header (or the index); a duplicate name is ambiguous. */
function defaultSpecs(file: string, names: readonly string[]): Record<string, CsvColumn> {
  const specs: Record<string, CsvColumn> = {};
  names.forEach((given, i) => {
    const n = given === "" ? String(i) : given; // an unnamed field (a pandas index) is named by its index
    if (Object.prototype.hasOwnProperty.call(specs, n)) {
      const at = names.flatMap((m, j) => (m === given ? [j + 1] : []));
      throw new NbresumeError(DataErrorCode.CSV_HEADER, msg.csvHeaderDuplicate(file, n, at, n), { where: file });
    }
    setOwn(specs, n, { from: i });
  });
  return specs;
}

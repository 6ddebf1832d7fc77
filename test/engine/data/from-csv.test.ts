import { strict as assert } from "node:assert";
import { basename } from "node:path";
import { CsvRecords } from "../../../src/engine/data/csv-records.js";
import { fromCsv } from "../../../src/engine/data/from-csv.js";
import { DataErrorCode, dataMessages as msg } from "../../../src/engine/data/messages.js";
import { useTempDir } from "./data-files.js";
import { layout, values } from "./dataset-contents.js";
import { rejectsWith } from "./rejects-with.js";

/** Every record of `text` fed in chunks of `size` characters. */
function records(text: string, size: number, delimiter = ","): [string[], number][] {
  const out: [string[], number][] = [];
  const r = new CsvRecords("t.csv", delimiter, (fields, line) => out.push([fields, line]));
  for (let i = 0; i < text.length; i += size) r.push(text.slice(i, i + size));
  r.end();
  return out;
}

describe("CSV records (RFC 4180 basics)", () => {
  const cases: [string, string, [string[], number][]][] = [
    [
      "plain fields and a final line without a break",
      "a,b\n1,2",
      [
        [["a", "b"], 1],
        [["1", "2"], 2],
      ],
    ],
    [
      "CRLF and lone CR line breaks",
      "a,b\r\n1,2\r3,4\r\n",
      [
        [["a", "b"], 1],
        [["1", "2"], 2],
        [["3", "4"], 3],
      ],
    ],
    [
      "quoted fields holding delimiters, doubled quotes and line breaks",
      'x,"a,b","say ""hi""","two\nlines"\nnext,1,2,3\n',
      [
        [["x", "a,b", 'say "hi"', "two\nlines"], 1],
        [["next", "1", "2", "3"], 3],
      ],
    ],
    [
      "empty fields, and a quoted empty field on a line of its own",
      ',,\n""\n',
      [
        [["", "", ""], 1],
        [[""], 2],
      ],
    ],
    [
      "blank lines skipped, line numbers kept",
      "a\n\n\nb\n",
      [
        [["a"], 1],
        [["b"], 4],
      ],
    ],
    ["a byte-order mark dropped", "\ufeffa,b\n", [[["a", "b"], 1]]],
  ];
  for (const [what, text, expected] of cases) {
    it(`splits ${what}, the same in any chunking`, () => {
      for (const size of [1, 2, 3, 7, text.length]) assert.deepEqual(records(text, size), expected, `chunks of ${size}`);
    });
  }
});

describe("fromCsv: a CSV file as a dataset", () => {
  const dir = useTempDir("csv");

  it("reads every field as a float32 column named by the header when no columns are given", async () => {
    const path = await dir.file("points.csv", "a,b\n1,2\n3.5,-4e2\n-0.25,+7\n");
    const d = await fromCsv(path);
    assert.equal(d.name, "points.csv");
    assert.equal(d.count, 3);
    assert.deepEqual(layout(d), { a: ["float32", []], b: ["float32", []] });
    assert.deepEqual(values(d, "a"), [1, 3.5, -0.25]);
    assert.deepEqual(values(d, "b"), [2, -400, 7]);
    const source = d.info["source"] as Record<string, unknown>;
    assert.deepEqual([source["format"], source["file"], source["bytes"]], ["csv", "points.csv", 26]);
  });

  it("round-trips typed, multi-value and reordered columns exactly, with quoting, CRLF, spaces and a BOM", async () => {
    const rows = Array.from({ length: 50 }, (_, i) => [
      (i * 0.125 - 3).toString(),
      `"${i * 2}"`,
      ` ${-i} `,
      String(i % 7),
      String(2n ** 62n + BigInt(i)),
      String(2147483647 - i),
    ]);
    const text = "\ufeffx1,x2,x3,label,id,big\r\n" + rows.map((r) => r.join(",")).join("\r\n") + "\r\n";
    const path = await dir.file("typed.csv", text);
    const d = await fromCsv(path, {
      columns: {
        x: { from: ["x3", "x1", 1], shape: [3] },
        label: "uint8",
        id: { dtype: "int64" },
        big: { dtype: "int32", from: "big" },
        grid: { from: ["x1", "x2", "x3", "x1"], shape: [2, 2] },
      },
      info: { classes: 7 },
    });
    assert.equal(d.count, 50);
    assert.deepEqual(layout(d), { x: ["float32", [3]], label: ["uint8", []], id: ["int64", []], big: ["int32", []], grid: ["float32", [2, 2]] });
    assert.deepEqual(
      values(d, "x"),
      rows.flatMap((_, i) => [i === 0 ? 0 : -i, i * 0.125 - 3, i * 2]),
    );
    assert.deepEqual(
      values(d, "label"),
      rows.map((_, i) => i % 7),
    );
    assert.deepEqual(
      values(d, "id"),
      rows.map((_, i) => 2n ** 62n + BigInt(i)),
    );
    assert.deepEqual(
      values(d, "big"),
      rows.map((_, i) => 2147483647 - i),
    );
    assert.deepEqual(
      values(d, "grid"),
      rows.flatMap((_, i) => [i * 0.125 - 3, i * 2, i === 0 ? 0 : -i, i * 0.125 - 3]),
    );
    assert.equal(d.info["classes"], 7);
  });

  it("reads a file larger than one read chunk, a quoted field split across chunks, exactly", async () => {
    const n = 60_000;
    const lines = ["v,w,s"];
    for (let i = 0; i < n; i++) lines.push(`${(i * 1.5).toFixed(1)},"${i}",${i % 251}`);
    const path = await dir.file("big.csv", lines.join("\n"));
    const d = await fromCsv(path, { columns: { v: "float32", w: "int32", s: "uint8" } });
    assert.equal(d.count, n);
    const v = values(d, "v");
    const w = values(d, "w");
    const s = values(d, "s");
    for (let i = 0; i < n; i++) {
      if (v[i] !== Math.fround(i * 1.5) || w[i] !== i || s[i] !== i % 251) assert.fail(`row ${i}: ${v[i]}, ${w[i]}, ${s[i]}`);
    }
  });

  it("reads fields by 0-based index without a header, tab-delimited", async () => {
    const path = await dir.file("t.tsv", "1\t2\t3\n4\t5\t6\n");
    const d = await fromCsv(path, { header: false, delimiter: "\t", columns: { x: { from: [0, 2] }, y: { dtype: "int32", from: 1 } } });
    assert.deepEqual(layout(d), { x: ["float32", [2]], y: ["int32", []] });
    assert.deepEqual(values(d, "x"), [1, 3, 4, 6]);
    assert.deepEqual(values(d, "y"), [2, 5]);
    const all = await fromCsv(path, { header: false, delimiter: "\t" });
    assert.deepEqual(Object.keys(all.columns), ["0", "1", "2"]);
  });

  it("keeps NaN, ±infinity and empty cells as NaN with allowNaN", async () => {
    const path = await dir.file("nan.csv", "x\nNaN\n\ninf\n-Infinity\n1\n,\n".replace(",\n", '""\n'));
    const d = await fromCsv(path, { allowNaN: true });
    assert.deepEqual(values(d, "x"), [NaN, Infinity, -Infinity, 1, NaN]);
  });

  describe("refuses a malformed file, naming the file, line and column (NbresumeError DATA_*)", () => {
    const cases: [string, string, object, string, (f: string) => string][] = [
      ["a row with more fields than the header", "a,b\n1,2\n3,4,5\n", {}, DataErrorCode.CSV_RAGGED, (f) => msg.csvRagged(f, 3, 3, 2, "the header (line 1)")],
      [
        "a row with fewer fields than the first row (no header)",
        "1,2\n3\n",
        { header: false },
        DataErrorCode.CSV_RAGGED,
        (f) => msg.csvRagged(f, 2, 1, 2, "the first row (line 1)"),
      ],
      ["a quote inside an unquoted field", 'a,b\n1,2"\n', {}, DataErrorCode.CSV_QUOTE, (f) => msg.csvStrayQuote(f, 2, 2)],
      ["text after a closing quote", 'a,b\n"1"x,2\n', {}, DataErrorCode.CSV_QUOTE, (f) => msg.csvTextAfterQuote(f, 2, 1)],
      ["a quote never closed", 'a,b\n1,2\n3,"4\n5,6\n', {}, DataErrorCode.CSV_QUOTE, (f) => msg.csvUnclosedQuote(f, 3)],
      [
        "a cell that is not a number",
        "a,b\n1,2\n3,abc\n",
        {},
        DataErrorCode.VALUE_INVALID,
        (f) => msg.valueNotNumber({ file: f, line: 3, column: "b", field: '"b"' }, '"abc"'),
      ],
      [
        "a hexadecimal cell (Number() would take it)",
        "a\n0x10\n",
        {},
        DataErrorCode.VALUE_INVALID,
        (f) => msg.valueNotNumber({ file: f, line: 2, column: "a", field: '"a"' }, '"0x10"'),
      ],
      [
        "NaN where not allowed",
        "a\n1\nnan\n",
        {},
        DataErrorCode.VALUE_NAN,
        (f) => msg.valueNaN({ file: f, line: 3, column: "a", field: '"a"' }, '"nan"', "float32"),
      ],
      [
        "an empty cell where not allowed",
        "a,b\n1,\n",
        {},
        DataErrorCode.VALUE_NAN,
        (f) => msg.valueNaN({ file: f, line: 2, column: "b", field: '"b"' }, "an empty cell", "float32"),
      ],
      [
        "infinity in an integer column even with allowNaN",
        "a\ninf\n",
        { allowNaN: true, columns: { a: "int32" } },
        DataErrorCode.VALUE_NAN,
        (f) => msg.valueNaN({ file: f, line: 2, column: "a", field: '"a"' }, '"inf"', "int32"),
      ],
      [
        "a fraction in a uint8 column",
        "label\n1.5\n",
        { columns: { label: "uint8" } },
        DataErrorCode.VALUE_NOT_INTEGER,
        (f) => msg.valueNotInteger({ file: f, line: 2, column: "label", field: '"label"' }, '"1.5"', "uint8"),
      ],
      [
        "int32 overflow",
        "n\n2147483648\n",
        { columns: { n: "int32" } },
        DataErrorCode.VALUE_RANGE,
        (f) => msg.valueRange({ file: f, line: 2, column: "n", field: '"n"' }, '"2147483648"', "int32"),
      ],
      [
        "a negative uint8",
        "n\n-1\n",
        { columns: { n: "uint8" } },
        DataErrorCode.VALUE_RANGE,
        (f) => msg.valueRange({ file: f, line: 2, column: "n", field: '"n"' }, '"-1"', "uint8"),
      ],
      [
        "uint8 overflow",
        "n\n256\n",
        { columns: { n: "uint8" } },
        DataErrorCode.VALUE_RANGE,
        (f) => msg.valueRange({ file: f, line: 2, column: "n", field: '"n"' }, '"256"', "uint8"),
      ],
      [
        "int64 overflow",
        "n\n9223372036854775808\n",
        { columns: { n: "int64" } },
        DataErrorCode.VALUE_RANGE,
        (f) => msg.valueRange({ file: f, line: 2, column: "n", field: '"n"' }, '"9223372036854775808"', "int64"),
      ],
      [
        "a value beyond float32",
        "x\n1e39\n",
        {},
        DataErrorCode.VALUE_RANGE,
        (f) => msg.valueRange({ file: f, line: 2, column: "x", field: '"x"' }, '"1e39"', "float32"),
      ],
      [
        "a multi-value column's bad field, named",
        "p,q\n1,2\n3,?\n",
        { columns: { xy: { from: ["p", "q"] } } },
        DataErrorCode.VALUE_INVALID,
        (f) => msg.valueNotNumber({ file: f, line: 3, column: "xy", field: '"q"' }, '"?"'),
      ],
      [
        "a column whose header field is missing",
        "a,b\n1,2\n",
        { columns: { c: "float32" } },
        DataErrorCode.COLUMN_MISSING,
        (f) => msg.csvHeaderMissing(f, "c", "c", ["a", "b"]),
      ],
      ["a field index beyond the row", "a,b\n1,2\n", { columns: { c: { from: 5 } } }, DataErrorCode.COLUMN_MISSING, (f) => msg.csvIndexMissing(f, "c", 5, 2)],
      [
        "a field name without a header",
        "1,2\n",
        { header: false, columns: { a: "float32" } },
        DataErrorCode.COLUMN_MISSING,
        (f) => msg.csvNameWithoutHeader(f, "a", "a"),
      ],
      [
        "a header naming the field read twice",
        "a,b,a\n1,2,3\n",
        { columns: { a: "float32" } },
        DataErrorCode.CSV_HEADER,
        (f) => msg.csvHeaderDuplicate(f, "a", [1, 3], "a"),
      ],
      [
        "a header naming a field twice, reading every field",
        "a,b,a\n1,2,3\n",
        {},
        DataErrorCode.CSV_HEADER,
        (f) => msg.csvHeaderDuplicate(f, "a", [1, 3], "a"),
      ],
      ["an empty file", "", {}, DataErrorCode.FILE_EMPTY, (f) => msg.fileEmpty(f, "the file is empty")],
      ["a header without rows", "a,b\n\n", {}, DataErrorCode.FILE_EMPTY, (f) => msg.fileEmpty(f, "no data rows after the header")],
    ];
    for (const [what, text, options, code, message] of cases) {
      it(what, async () => {
        const path = await dir.file("bad.csv", text);
        await rejectsWith(fromCsv(path, options), code, message(path), path);
      });
    }

    it("a directory, or a missing file (DATA_FILE_UNREADABLE)", async () => {
      await rejectsWith(fromCsv(dir.path), DataErrorCode.FILE_UNREADABLE, msg.fileUnreadable(dir.path, "it is a directory", process.cwd()), dir.path);
      const missing = `${dir.path}/nope.csv`;
      await rejectsWith(fromCsv(missing), DataErrorCode.FILE_UNREADABLE, msg.fileUnreadable(missing, "no such file", process.cwd()), missing);
    });
  });

  describe("rejects bad options at the call (TypeError/RangeError naming the option)", () => {
    const cases: [string, object, string][] = [
      ["a quote as delimiter", { delimiter: '"' }, msg.badOption("fromCsv", "delimiter", "one character other than a quote or a line break", '"')],
      ["a two-character delimiter", { delimiter: ";;" }, msg.badOption("fromCsv", "delimiter", "one character other than a quote or a line break", ";;")],
      [
        "an unknown dtype",
        { columns: { a: "float64" } },
        msg.badOption("fromCsv", "columns.a", "a column dtype (float32, int32, int64, uint8) or { dtype, from, shape }", "float64"),
      ],
      [
        "a shape that does not fit the fields",
        { columns: { a: { from: ["a", "b"], shape: [3] } } },
        msg.badOption("fromCsv", "columns.a.shape", "a shape of 2 values (one per field it reads)", "[3]"),
      ],
      [
        "a negative field index",
        { columns: { a: { from: -1 } } },
        msg.badOption("fromCsv", "columns.a.from", "a header name, a 0-based field index, or a non-empty array of them", -1),
      ],
      ["no columns", { columns: {} }, msg.badOption("fromCsv", "columns", "an object with at least one column", {})],
    ];
    for (const [what, options, message] of cases) {
      it(what, async () => {
        const path = await dir.file("ok.csv", "a,b\n1,2\n");
        await assert.rejects(fromCsv(path, options), (e: unknown) => (e instanceof TypeError || e instanceof RangeError) && e.message === message);
      });
    }
  });

  it("names the dataset after the file unless told otherwise", async () => {
    const path = await dir.file("named.csv", "a\n1\n");
    assert.equal((await fromCsv(path)).name, basename(path));
    assert.equal((await fromCsv(path, { name: "mine" })).name, "mine");
  });
});

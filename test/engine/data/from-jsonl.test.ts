import { strict as assert } from "node:assert";
import { fromJsonl } from "../../../src/engine/data/from-jsonl.js";
import { DataErrorCode, dataMessages as msg } from "../../../src/engine/data/messages.js";
import { useTempDir } from "./data-files.js";
import { layout, values } from "./dataset-contents.js";
import { rejectsWith } from "./rejects-with.js";

const lines = (...objects: unknown[]): string => objects.map((o) => JSON.stringify(o)).join("\n") + "\n";

describe("fromJsonl: a JSON Lines file as a dataset", () => {
  const dir = useTempDir("jsonl");

  it("round-trips numbers and nested arrays exactly, shapes from the first line, in declared dtypes", async () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({
      x: [
        [i, i + 0.5],
        [i === 0 ? 0 : -i, i * 0.25],
      ],
      label: i % 3,
      id: i === 0 ? "9223372036854775807" : 2 ** 40 + i,
      extra: "ignored unless asked for",
    }));
    const path = await dir.file("rows.jsonl", lines(...rows));
    const d = await fromJsonl(path, { columns: { x: "float32", label: "uint8", id: { dtype: "int64" } }, info: { classes: 3 } });
    assert.equal(d.count, 40);
    assert.equal(d.name, "rows.jsonl");
    assert.deepEqual(layout(d), { x: ["float32", [2, 2]], label: ["uint8", []], id: ["int64", []] });
    assert.deepEqual(
      values(d, "x"),
      rows.flatMap((r) => r.x.flat()),
    );
    assert.deepEqual(
      values(d, "label"),
      rows.map((r) => r.label),
    );
    assert.deepEqual(
      values(d, "id"),
      rows.map((r, i) => (i === 0 ? 2n ** 63n - 1n : BigInt(r.id))),
    );
    assert.equal(d.info["classes"], 3);
    assert.equal((d.info["source"] as Record<string, unknown>)["format"], "jsonl");
  });

  it("reads every field of the first line as float32 without columns, a renamed field with `from`, CRLF and blank lines", async () => {
    const path = await dir.file("plain.jsonl", '{"a": 1, "b": [1, 2]}\r\n\r\n{"a": 2.5, "b": [3, 4]}\r\n');
    const d = await fromJsonl(path);
    assert.deepEqual(layout(d), { a: ["float32", []], b: ["float32", [2]] });
    assert.deepEqual(values(d, "b"), [1, 2, 3, 4]);
    const renamed = await fromJsonl(path, { columns: { pair: { from: "b", shape: [2] } } });
    assert.deepEqual(values(renamed, "pair"), [1, 2, 3, 4]);
  });

  it("keeps null as NaN with allowNaN", async () => {
    const path = await dir.file("nan.jsonl", lines({ v: [1, null] }, { v: [null, 2] }));
    assert.deepEqual(values(await fromJsonl(path, { allowNaN: true }), "v"), [1, NaN, NaN, 2]);
  });

  describe("refuses a malformed file, naming the file, line, column and array index (NbresumeError DATA_*)", () => {
    const cases: [string, string, object, string, (f: string) => string][] = [
      ["a line that is not JSON", '{"a": 1}\n{"a": 2,\n', {}, DataErrorCode.JSON_INVALID, (f) => msg.jsonInvalid(f, 2, jsonError('{"a": 2,'))],
      ["a line that is an array", '{"a": 1}\n[1, 2]\n', {}, DataErrorCode.JSON_INVALID, (f) => msg.jsonNotObject(f, 2, [1, 2])],
      ["a missing field", lines({ a: 1, b: 2 }, { a: 3 }), {}, DataErrorCode.COLUMN_MISSING, (f) => msg.jsonlFieldMissing(f, 2, "b", "b", ["a"])],
      [
        "a string where a number belongs",
        lines({ a: 1 }, { a: "2" }),
        {},
        DataErrorCode.VALUE_INVALID,
        (f) => msg.jsonWrongType({ file: f, line: 2, column: "a", field: "a" }, "a number", "2"),
      ],
      [
        "a ragged nested array",
        lines(
          {
            x: [
              [1, 2],
              [3, 4],
            ],
          },
          { x: [[1, 2], [3]] },
        ),
        {},
        DataErrorCode.SHAPE_MISMATCH,
        (f) => msg.shapeMismatch({ file: f, line: 2, column: "x" }, "x[1]", { values: 1, leaf: false }, [2, 2], "from line 1"),
      ],
      [
        "a number where an array belongs",
        lines({ x: [1, 2] }, { x: 3 }),
        {},
        DataErrorCode.SHAPE_MISMATCH,
        (f) => msg.shapeMismatch({ file: f, line: 2, column: "x" }, "x", "number", [2], "from line 1"),
      ],
      [
        "an array where a number belongs",
        lines({ x: [1, 2] }, { x: [1, [2]] }),
        {},
        DataErrorCode.SHAPE_MISMATCH,
        (f) => msg.shapeMismatch({ file: f, line: 2, column: "x" }, "x[1]", { values: 1, leaf: true }, [2], "from line 1"),
      ],
      [
        "an array of the wrong declared shape",
        lines({ x: [1, 2, 3] }),
        { columns: { x: { shape: [2] } } },
        DataErrorCode.SHAPE_MISMATCH,
        (f) => msg.shapeMismatch({ file: f, line: 1, column: "x" }, "x", { values: 3, leaf: false }, [2], "as declared"),
      ],
      [
        "an empty array on the first line",
        lines({ x: [] }),
        {},
        DataErrorCode.SHAPE_MISMATCH,
        (f) => msg.jsonEmptyArray({ file: f, line: 1, column: "x" }, "x"),
      ],
      [
        "null where NaN is not allowed",
        lines({ v: [1, null] }),
        {},
        DataErrorCode.VALUE_NAN,
        (f) => msg.valueNaN({ file: f, line: 1, column: "v", field: "v[1]" }, "null", "float32"),
      ],
      [
        "a fraction in an int32 column",
        lines({ n: 1.5 }),
        { columns: { n: "int32" } },
        DataErrorCode.VALUE_NOT_INTEGER,
        (f) => msg.valueNotInteger({ file: f, line: 1, column: "n", field: "n" }, "1.5", "int32"),
      ],
      [
        "uint8 overflow inside an array",
        lines({ p: [0, 255, 256] }),
        { columns: { p: "uint8" } },
        DataErrorCode.VALUE_RANGE,
        (f) => msg.valueRange({ file: f, line: 1, column: "p", field: "p[2]" }, "256", "uint8"),
      ],
      [
        "an int64 beyond 2^53 written as a number",
        lines({ id: 2 ** 60 }),
        { columns: { id: "int64" } },
        DataErrorCode.VALUE_RANGE,
        (f) => msg.valueInexact({ file: f, line: 1, column: "id", field: "id" }, String(2 ** 60), "int64"),
      ],
      [
        "an int64 string that overflows",
        lines({ id: "9223372036854775808" }),
        { columns: { id: "int64" } },
        DataErrorCode.VALUE_RANGE,
        (f) => msg.valueRange({ file: f, line: 1, column: "id", field: "id" }, '"9223372036854775808"', "int64"),
      ],
      [
        "a nested object",
        lines({ x: { y: 1 } }),
        {},
        DataErrorCode.VALUE_INVALID,
        (f) => msg.jsonWrongType({ file: f, line: 1, column: "x", field: "x" }, "a number or an array of numbers", { y: 1 }),
      ],
      ["no lines at all", "\n\n", {}, DataErrorCode.FILE_EMPTY, (f) => msg.fileEmpty(f, "no JSON lines")],
    ];
    for (const [what, text, options, code, message] of cases) {
      it(what, async () => {
        const path = await dir.file("bad.jsonl", text);
        await rejectsWith(fromJsonl(path, options), code, message(path), path);
      });
    }
  });

  it("rejects bad options at the call with TypeError/RangeError", async () => {
    const path = await dir.file("ok.jsonl", lines({ a: 1 }));
    await assert.rejects(fromJsonl(path, { columns: { a: { from: 3 as unknown as string } } }), {
      name: "TypeError",
      message: msg.badOption("fromJsonl", "columns.a.from", "a field name", 3),
    });
    await assert.rejects(fromJsonl(path, { columns: { a: "bool" as "uint8" } }), { name: "RangeError" });
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("valid JSON");
}

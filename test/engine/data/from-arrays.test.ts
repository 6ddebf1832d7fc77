import { strict as assert } from "node:assert";
import { fromArrays } from "../../../src/engine/data/from-arrays.js";
import { dataMessages as msg } from "../../../src/engine/data/messages.js";
import { layout, values } from "./dataset-contents.js";

describe("fromArrays: a dataset from arrays in memory", () => {
  it("uses typed arrays of the column's dtype as they are and converts plain arrays exactly", () => {
    const x = Float32Array.from([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5]);
    const d = fromArrays(
      "xor",
      {
        x: { dtype: "float32", shape: [2], data: x },
        y: { dtype: "uint8", data: [0, 1, 1, 0] },
        id: { dtype: "int64", data: [2n ** 62n, -1n, 9007199254740991, 0] },
        grid: { dtype: "int32", shape: [1, 2], data: Int16Array.from([1, -2, 3, -4, 5, -6, 7, -8]) },
      },
      { classes: 2 },
    );
    assert.equal(d.name, "xor");
    assert.equal(d.count, 4);
    assert.deepEqual(layout(d), { x: ["float32", [2]], y: ["uint8", []], id: ["int64", []], grid: ["int32", [1, 2]] });
    assert.equal(d.columns["x"]!.data, x, "a Float32Array for a float32 column is not copied");
    assert.deepEqual(values(d, "y"), [0, 1, 1, 0]);
    assert.deepEqual(values(d, "id"), [2n ** 62n, -1n, 9007199254740991n, 0n]);
    assert.deepEqual(values(d, "grid"), [1, -2, 3, -4, 5, -6, 7, -8]);
    assert.deepEqual(d.info, { classes: 2 });
    assert.equal(d.rows, undefined);
  });

  describe("rejects bad columns with TypeError/RangeError naming the column (and the value)", () => {
    const cases: [string, () => unknown, "TypeError" | "RangeError", string][] = [
      [
        "a value that is not a number",
        () => fromArrays("d", { y: { dtype: "float32", data: [1, "2" as unknown as number] } }),
        "TypeError",
        msg.badArrayValue("y", 1, "2", "float32", "is not a number"),
      ],
      [
        "a fraction in an integer column",
        () => fromArrays("d", { y: { dtype: "int32", data: [1, 2.5] } }),
        "RangeError",
        msg.badArrayValue("y", 1, 2.5, "int32", "is not an integer"),
      ],
      [
        "uint8 overflow",
        () => fromArrays("d", { y: { dtype: "uint8", data: [255, 256] } }),
        "RangeError",
        msg.badArrayValue("y", 1, 256, "uint8", "is out of range"),
      ],
      [
        "int32 overflow from a wider typed array",
        () => fromArrays("d", { y: { dtype: "int32", data: Float64Array.from([2 ** 31]) } }),
        "RangeError",
        msg.badArrayValue("y", 0, 2 ** 31, "int32", "is out of range"),
      ],
      [
        "an int64 beyond 2^53 given as a number",
        () => fromArrays("d", { y: { dtype: "int64", data: [2 ** 60] } }),
        "RangeError",
        msg.badArrayValue("y", 0, 2 ** 60, "int64", "is beyond ±2^53 as a number (pass a bigint)"),
      ],
      [
        "a float beyond float32",
        () => fromArrays("d", { y: { dtype: "float32", data: [1e39] } }),
        "RangeError",
        msg.badArrayValue("y", 0, 1e39, "float32", "is out of range"),
      ],
      [
        "a length that is not whole examples",
        () => fromArrays("d", { x: { dtype: "float32", shape: [3], data: new Float32Array(7) } }),
        "RangeError",
        msg.badArrayColumn("x", "has 7 values, not a whole positive number of examples of shape [3] (3 values each)"),
      ],
      [
        "columns of different lengths",
        () => fromArrays("d", { x: { dtype: "float32", data: new Float32Array(3) }, y: { dtype: "uint8", data: new Uint8Array(4) } }),
        "RangeError",
        msg.badArrayColumn("y", 'has 4 examples, but column "x" has 3'),
      ],
      [
        "an unknown dtype",
        () => fromArrays("d", { x: { dtype: "float64" as "float32", data: [1] } }),
        "RangeError",
        msg.badArrayColumn("x", 'has dtype "float64", not one of float32, int32, int64, uint8'),
      ],
      ["no data", () => fromArrays("d", { x: { dtype: "float32" } as never }), "TypeError", msg.badArrayColumn("x", "has no data array")],
      ["no columns", () => fromArrays("d", {}), "TypeError", msg.badOption("fromArrays", "columns", "an object with at least one column", {})],
      ["no name", () => fromArrays("", { x: { dtype: "float32", data: [1] } }), "TypeError", msg.badOption("fromArrays", "name", "a non-empty string", "")],
      [
        "info that is not JSON",
        () => fromArrays("d", { x: { dtype: "float32", data: [1] } }, { n: NaN }),
        "TypeError",
        msg.badOption("fromArrays", "info", "a plain JSON object (finite numbers, strings, booleans, null, arrays, objects)", { n: NaN }),
      ],
    ];
    for (const [what, make, name, message] of cases) {
      it(what, () => {
        assert.throws(make, { name, message });
      });
    }
  });
});

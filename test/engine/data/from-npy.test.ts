import { strict as assert } from "node:assert";
import { join } from "node:path";
import { fromNpy } from "../../../src/engine/data/from-npy.js";
import { DataErrorCode, dataMessages as msg } from "../../../src/engine/data/messages.js";
import { parseNpy } from "../../../src/engine/data/npy-array.js";
import { MAX_NPY_HEADER_BYTES } from "../../../src/engine/data/npy-header.js";
import { npyBytes } from "./npy-builder.js";
import { FIXTURES, useTempDir } from "./data-files.js";
import { layout, values } from "./dataset-contents.js";
import { rejectsWith } from "./rejects-with.js";

const fixture = (name: string): string => join(FIXTURES, name);

const f4 = (values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);
const header = (descr: string, shape: string, fortran = "False"): string => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

describe("fromNpy: a numpy .npy file as a one-column dataset", () => {
  describe("reads numpy's own files (fixtures written by fixtures/make-fixtures.py), values exactly", () => {
    const cases: [string, string, number[], number, (number | bigint)[]][] = [
      ["f4.npy (float32, 3-d)", "float32", [3, 4], 2, Array.from({ length: 24 }, (_, i) => i * 0.25 - 2)],
      ["i4.npy (int32 extremes)", "int32", [], 5, [0, -1, 2147483647, -2147483648, 7]],
      ["i8.npy (int64 extremes)", "int64", [2], 3, [2n ** 40n, -(2n ** 62n), 2n ** 63n - 1n, -(2n ** 63n), 0n, 1n]],
      ["u1.npy (uint8)", "uint8", [4], 64, Array.from({ length: 256 }, (_, i) => i)],
      ["f8.npy (float64 values exact in float32)", "float32", [], 5, [0.5, -1.25, 3, 2 ** 100, -0]],
      ["f2.npy (float16)", "float32", [], 4, [0.5, -2, 65504, 2 ** -10]],
      ["i2.npy (int16 → int32)", "int32", [], 3, [-32768, 32767, 5]],
      ["i1.npy (int8 → int32)", "int32", [], 3, [-128, 127, 0]],
      ["u2.npy (uint16 → int32)", "int32", [], 2, [0, 65535]],
      ["u4.npy (uint32 → int64)", "int64", [], 2, [0n, 4294967295n]],
      ["u8.npy (uint64 below 2^63 → int64)", "int64", [], 2, [0n, 2n ** 63n - 1n]],
      ["b1.npy (bool → uint8)", "uint8", [], 3, [1, 0, 1]],
      ["be-i4.npy (big-endian int32)", "int32", [2], 2, [1, -2, 3, 2 ** 30]],
      ["fortran.npy (Fortran order, rearranged to C order)", "float32", [3, 4], 2, Array.from({ length: 24 }, (_, i) => i)],
      ["v2.npy (format 2.0)", "float32", [], 2, [1.5, 2.5]],
      ["v3.npy (format 3.0)", "float32", [], 2, [1.5, 2.5]],
    ];
    for (const [file, dtype, shape, count, expected] of cases) {
      it(file, async () => {
        const name = file.split(" ")[0]!;
        const d = await fromNpy(fixture(name));
        const column = name.replace(/\.npy$/, "");
        assert.equal(d.name, name);
        assert.equal(d.count, count);
        assert.deepEqual(layout(d), { [column]: [dtype, shape] });
        assert.deepEqual(values(d, column), expected);
        assert.equal(Object.is(values(d, column)[4], -0), file.startsWith("f8.npy"), "−0 stays −0");
        const source = d.info["source"] as Record<string, unknown>;
        assert.deepEqual([source["format"], source["file"]], ["npy", name]);
        assert.match(String(source["hash"]), /^xxh64:[0-9a-f]{16}$/);
      });
    }
  });

  it("names the column and the dataset as asked, and adds the given info", async () => {
    const d = await fromNpy(fixture("i4.npy"), { column: "label", name: "labels", info: { classes: 3 } });
    assert.deepEqual(Object.keys(d.columns), ["label"]);
    assert.equal(d.name, "labels");
    assert.equal(d.info["classes"], 3);
  });

  describe("refuses numpy files a column cannot hold, naming the file and saying what to do", () => {
    const cases: [string, string, (file: string) => string][] = [
      [
        "f8-lossy.npy",
        DataErrorCode.CONVERSION_LOSSY,
        (f) =>
          msg.conversionLossy(
            f,
            "f8-lossy",
            "float64 (<f8)",
            "float32",
            1,
            "0.1",
            "Save it as float32 (numpy: a.astype(np.float32)); training computes in float32 anyway.",
          ),
      ],
      [
        "u8-big.npy",
        DataErrorCode.CONVERSION_LOSSY,
        (f) =>
          msg.conversionLossy(
            f,
            "u8-big",
            "uint64 (<u8)",
            "int64",
            1,
            "9223372036854775808",
            "uint64 values of 2^63 and above do not fit int64: save the array as int64 if its values allow, or as float32.",
          ),
      ],
      ["scalar.npy", DataErrorCode.ARRAY_SCALAR, (f) => msg.arrayScalar(f, "scalar")],
      ["empty.npy", DataErrorCode.FILE_EMPTY, (f) => msg.fileEmpty(f, 'array "empty" has shape [0, 3], which holds no values')],
      ["complex.npy", DataErrorCode.NPY_DTYPE_UNSUPPORTED, (f) => msg.npyDtypeUnsupported(f, "<c8")],
      ["structured.npy", DataErrorCode.NPY_DTYPE_UNSUPPORTED, (f) => msg.npyDtypeUnsupported(f, "a structured dtype (a list of fields)")],
      ["strings.npy", DataErrorCode.NPY_DTYPE_UNSUPPORTED, (f) => msg.npyDtypeUnsupported(f, "<U2")],
    ];
    for (const [name, code, message] of cases) {
      it(name, async () => {
        await rejectsWith(fromNpy(fixture(name)), code, message(fixture(name)), fixture(name));
      });
    }
  });

  describe("refuses hand-built hostile files with one error per failure (NbresumeError DATA_NPY_*)", () => {
    const dir = useTempDir("npy");
    const good = header("<f4", "(2,)");
    const cases: [string, () => Uint8Array, string, (f: string) => string][] = [
      ["an empty file", () => new Uint8Array(0), DataErrorCode.NPY_NOT_NPY, (f) => msg.npyNotNpy(f, "it is 0 bytes, shorter than the 10-byte preamble")],
      [
        "another format's magic",
        () => npyBytes(good, f4([1, 2]), { magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a] }),
        DataErrorCode.NPY_NOT_NPY,
        (f) => msg.npyNotNpy(f, "it does not start with \\x93NUMPY"),
      ],
      ["format version 4.0", () => npyBytes(good, f4([1, 2]), { version: 4 as 1 }), DataErrorCode.NPY_VERSION, (f) => msg.npyVersion(f, 4, 0)],
      [
        "a header length above the cap",
        () => npyBytes(good, f4([1, 2]), { version: 2, headerLength: MAX_NPY_HEADER_BYTES + 1 }),
        DataErrorCode.NPY_HEADER_TOO_LARGE,
        (f) => msg.npyHeaderTooLarge(f, MAX_NPY_HEADER_BYTES + 1, MAX_NPY_HEADER_BYTES),
      ],
      [
        "a header running past the end of the file",
        () => npyBytes(good, new Uint8Array(0), { headerLength: 500 }),
        DataErrorCode.NPY_HEADER_INVALID,
        (f) => msg.npyHeaderInvalid(f, "its 500 bytes run past the end of the file (128 bytes)"),
      ],
      [
        "a header that is not a dictionary",
        () => npyBytes("[1, 2]", f4([1, 2])),
        DataErrorCode.NPY_HEADER_INVALID,
        (f) => msg.npyHeaderInvalid(f, 'expected "{" at character 0'),
      ],
      [
        "a missing shape",
        () => npyBytes("{'descr': '<f4', 'fortran_order': False}", f4([1, 2])),
        DataErrorCode.NPY_HEADER_INVALID,
        (f) => msg.npyHeaderInvalid(f, 'it has keys "descr", "fortran_order", expected exactly "descr", "fortran_order" and "shape"'),
      ],
      [
        "an extra key",
        () => npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': True}", f4([1, 2])),
        DataErrorCode.NPY_HEADER_INVALID,
        (f) => msg.npyHeaderInvalid(f, 'it has keys "descr", "fortran_order", "shape", "x", expected exactly "descr", "fortran_order" and "shape"'),
      ],
      [
        "a key given twice",
        () => npyBytes("{'descr': '<f4', 'descr': '<i4', 'fortran_order': False, 'shape': (2,)}", f4([1, 2])),
        DataErrorCode.NPY_HEADER_INVALID,
        (f) => msg.npyHeaderInvalid(f, 'key "descr" appears twice'),
      ],
      [
        "a shape that is not a tuple",
        () => npyBytes(header("<f4", "(2)"), f4([1, 2])),
        DataErrorCode.NPY_HEADER_INVALID,
        (f) => msg.npyHeaderInvalid(f, "shape (n) is not a tuple; numpy writes (n,)"),
      ],
      [
        "a negative dimension",
        () => npyBytes(header("<f4", "(-2,)"), f4([1, 2])),
        DataErrorCode.NPY_HEADER_INVALID,
        (f) => msg.npyHeaderInvalid(f, "expected a non-negative integer at character 51"),
      ],
      [
        "a dimension beyond 2^53",
        () => npyBytes(header("<f4", "(9007199254740993,)"), f4([1, 2])),
        DataErrorCode.NPY_HEADER_INVALID,
        (f) => msg.npyHeaderInvalid(f, "dimension 9007199254740993 is not below 2^53"),
      ],
      [
        "fortran_order neither True nor False",
        () => npyBytes(header("<f4", "(2,)", "'no'"), f4([1, 2])),
        DataErrorCode.NPY_HEADER_INVALID,
        (f) => msg.npyHeaderInvalid(f, "fortran_order is not True or False"),
      ],
      [
        "text after the dictionary",
        () => npyBytes(`${good} x`, f4([1, 2])),
        DataErrorCode.NPY_HEADER_INVALID,
        (f) => msg.npyHeaderInvalid(f, "text follows the dictionary at character 58"),
      ],
      [
        "a multi-byte type without byte order",
        () => npyBytes(header("|f4", "(2,)"), f4([1, 2])),
        DataErrorCode.NPY_HEADER_INVALID,
        (f) => msg.npyHeaderInvalid(f, 'descr "|f4" gives no byte order for a multi-byte type'),
      ],
      [
        "a non-ASCII byte in a 1.0 header",
        () => npyBytes(header("<f4", "(2,)").replace("descr", "d\u00e9scr"), f4([1, 2])),
        DataErrorCode.NPY_HEADER_INVALID,
        (f) => msg.npyHeaderInvalid(f, "byte 3 of the header is 0xc3, not printable ASCII"),
      ],
      [
        "an object array",
        () => npyBytes(header("|O", "(2,)"), new Uint8Array(16)),
        DataErrorCode.NPY_DTYPE_UNSUPPORTED,
        (f) => msg.npyDtypeUnsupported(f, "|O"),
      ],
      [
        "a shape whose byte count overflows",
        () => npyBytes(header("<f8", "(4294967296, 4294967296)")),
        DataErrorCode.NPY_SIZE_OVERFLOW,
        (f) => msg.npySizeOverflow(f, [4294967296, 4294967296]),
      ],
      ["data cut short", () => npyBytes(good, f4([1, 2]).subarray(0, 7)), DataErrorCode.NPY_TRUNCATED, (f) => msg.npyTruncated(f, [2], 8, 7)],
      ["bytes after the data", () => npyBytes(good, f4([1, 2, 3])), DataErrorCode.NPY_TRAILING_BYTES, (f) => msg.npyTrailingBytes(f, [2], 8, 12)],
    ];
    for (const [what, bytes, code, message] of cases) {
      it(what, async () => {
        const path = await dir.file("bad.npy", bytes());
        await rejectsWith(fromNpy(path), code, message(path), path);
        assert.throws(
          () => parseNpy(bytes(), "memory", "x"),
          (e: unknown) => (e as { code?: string }).code === code && (e as Error).message === message("memory"),
        );
      });
    }

    it("reads a hand-built file with a large but legal header (padding up to the cap)", async () => {
      const padded = `${good}${" ".repeat(MAX_NPY_HEADER_BYTES - good.length - 60)}`;
      const path = await dir.file("padded.npy", npyBytes(padded, f4([1, 2]), { version: 2 }));
      assert.deepEqual(values(await fromNpy(path), "padded"), [1, 2]);
    });

    it("fails with DATA_FILE_UNREADABLE naming a missing file", async () => {
      const path = join(dir.path, "missing.npy");
      await rejectsWith(fromNpy(path), DataErrorCode.FILE_UNREADABLE, msg.fileUnreadable(path, "no such file", process.cwd()), path);
    });
  });
});

import { strict as assert } from "node:assert";
import { join } from "node:path";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { fromNpz, parseNpz } from "../../../src/engine/data/from-npz.js";
import { DataErrorCode, dataMessages as msg } from "../../../src/engine/data/messages.js";
import { MAX_ZIP_ENTRIES } from "../../../src/engine/data/zip-archive.js";
import { npyBytes } from "./npy-builder.js";
import { FIXTURES, useTempDir } from "./data-files.js";
import { layout, values } from "./dataset-contents.js";
import { rejectsWith } from "./rejects-with.js";
import { type ZipEntryInput, zipBytes } from "./zip-builder.js";

const fixture = (name: string): string => join(FIXTURES, name);

const header = (descr: string, shape: string): string => `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
const x = npyBytes(header("<f4", "(3,)"), new Uint8Array(Float32Array.from([1, 2, 3]).buffer));
const y = npyBytes(header("<i8", "(3,)"), new Uint8Array(BigInt64Array.from([4n, 5n, -(2n ** 63n)]).buffer));

describe("fromNpz: a numpy .npz archive as a dataset, one column per array", () => {
  const expected = { x: ["float32", [2]], y: ["int64", []], label: ["uint8", []] };
  for (const name of ["stored.npz", "deflated.npz"]) {
    it(`reads numpy's ${name === "stored.npz" ? "savez (stored)" : "savez_compressed (deflated)"} archive exactly`, async () => {
      const d = await fromNpz(fixture(name));
      assert.equal(d.name, name);
      assert.equal(d.count, 3);
      assert.deepEqual(layout(d), expected);
      assert.deepEqual(values(d, "x"), [0, 0.5, 1, 1.5, 2, 2.5]);
      assert.deepEqual(values(d, "y"), [10n, -20n, 2n ** 40n]);
      assert.deepEqual(values(d, "label"), [1, 0, 1]);
      assert.equal((d.info["source"] as Record<string, unknown>)["format"], "npz");
    });
  }

  it("names positional arrays as numpy does (arr_0, arr_1)", async () => {
    assert.deepEqual(Object.keys((await fromNpz(fixture("positional.npz"))).columns), ["arr_0", "arr_1"]);
  });

  it("reads a hand-built archive with zip64 records, stored and deflated entries", () => {
    const bytes = zipBytes(
      [
        { name: "x.npy", data: x },
        { name: "y.npy", data: y, method: 8 },
      ],
      { zip64: true, comment: "made by hand" },
    );
    const { count, columns } = parseNpz(bytes, "zip64.npz");
    assert.equal(count, 3);
    assert.deepEqual(Array.from(columns["x"]!.data as Float32Array), [1, 2, 3]);
    assert.deepEqual(Array.from(columns["y"]!.data as BigInt64Array), [4n, 5n, -(2n ** 63n)]);
  });

  it("refuses arrays of different lengths, naming every array's count (DATA_COLUMNS_MISMATCH)", async () => {
    const f = fixture("mismatch.npz");
    await rejectsWith(
      fromNpz(f),
      DataErrorCode.COLUMNS_MISMATCH,
      msg.columnsMismatch(f, [
        ["x", 3],
        ["y", 4],
      ]),
      f,
    );
  });

  describe("refuses hostile archives, one error per failure (NbresumeError DATA_ZIP_*)", () => {
    const dir = useTempDir("npz");
    const valid = (): ZipEntryInput[] => [
      { name: "x.npy", data: x },
      { name: "y.npy", data: y, method: 8 },
    ];
    const setU16 = (b: Uint8Array, at: number, v: number): Uint8Array => {
      new DataView(b.buffer).setUint16(at, v, true);
      return b;
    };
    const setU32 = (b: Uint8Array, at: number, v: number): Uint8Array => {
      new DataView(b.buffer).setUint32(at, v, true);
      return b;
    };
    const eocd = (b: Uint8Array): number => b.length - 22;
    // A local header for y.npy hidden inside x.npy's stored bytes: two entries share bytes.
    const overlapping = (): Uint8Array => {
      const inner = zipBytes([{ name: "y.npy", data: y }]);
      const innerLocal = inner.subarray(0, 30 + 5 + y.length);
      const outer = zipBytes([{ name: "x.npy", data: x, stored: Uint8Array.from([...x, ...innerLocal]), crc: 0, declaredSize: x.length + innerLocal.length }]);
      return outer;
    };
    const cases: [string, () => Uint8Array, string, (f: string) => string][] = [
      [
        "a file too short for an end record",
        () => new Uint8Array(10),
        DataErrorCode.ZIP_INVALID,
        (f) => msg.zipInvalid(f, "it is 10 bytes, shorter than a zip end record"),
      ],
      ["no end record (another format)", () => x, DataErrorCode.ZIP_INVALID, (f) => msg.zipInvalid(f, "no end-of-central-directory record ends the file")],
      [
        "bytes after the end record's comment",
        () => Uint8Array.from([...zipBytes(valid()), 1, 2, 3]),
        DataErrorCode.ZIP_INVALID,
        (f) => msg.zipInvalid(f, "no end-of-central-directory record ends the file"),
      ],
      [
        "a central directory offset out of place",
        () => zipBytes(valid(), { eocd: { dirOffset: 7 } }),
        DataErrorCode.ZIP_INVALID,
        (f) => msg.zipInvalid(f, `the central directory (${zipDirSize(valid())} bytes at 7) does not end where the end record begins (${zipEocd(valid())})`),
      ],
      [
        "more entries than the cap",
        () => zipBytes(valid(), { eocd: { entries: MAX_ZIP_ENTRIES + 1 } }),
        DataErrorCode.ZIP_TOO_MANY_ENTRIES,
        (f) => msg.zipTooManyEntries(f, MAX_ZIP_ENTRIES + 1, MAX_ZIP_ENTRIES),
      ],
      [
        "an entry count the directory cannot hold",
        () => zipBytes(valid(), { eocd: { entries: 40 } }),
        DataErrorCode.ZIP_INVALID,
        (f) => msg.zipInvalid(f, `40 entries cannot fit in a ${zipDirSize(valid())}-byte central directory`),
      ],
      [
        "a split (multi-disk) archive",
        () => zipBytes(valid(), { eocd: { disk: 1 } }),
        DataErrorCode.ZIP_UNSUPPORTED,
        (f) => msg.zipUnsupported(f, "(the archive)", "several disks (a split archive)"),
      ],
      [
        "an encrypted entry",
        () => zipBytes([{ name: "x.npy", data: x, flags: 0x801 }]),
        DataErrorCode.ZIP_UNSUPPORTED,
        (f) => msg.zipUnsupported(f, "x.npy", "encryption"),
      ],
      [
        "a bzip2 entry",
        () => zipBytes([{ name: "x.npy", data: x, method: 12 as 0 }]),
        DataErrorCode.ZIP_UNSUPPORTED,
        (f) => msg.zipUnsupported(f, "x.npy", "compression method 12 (only stored and deflate are read)"),
      ],
      [
        "an entry named with a path",
        () => zipBytes([{ name: "../evil.npy", data: x }]),
        DataErrorCode.ZIP_ENTRY_NAME,
        (f) => msg.zipEntryName(f, "../evil.npy", "is a path (it holds a slash): a directory, or a name that could escape one"),
      ],
      [
        "an absolute entry name",
        () => zipBytes([{ name: "/etc/x.npy", data: x }]),
        DataErrorCode.ZIP_ENTRY_NAME,
        (f) => msg.zipEntryName(f, "/etc/x.npy", "is a path (it holds a slash): a directory, or a name that could escape one"),
      ],
      [
        "a backslash path",
        () => zipBytes([{ name: "..\\x.npy", data: x }]),
        DataErrorCode.ZIP_ENTRY_NAME,
        (f) => msg.zipEntryName(f, "..\\x.npy", "is a path (it holds a slash): a directory, or a name that could escape one"),
      ],
      [
        "a name starting with ..",
        () => zipBytes([{ name: "..x.npy", data: x }]),
        DataErrorCode.ZIP_ENTRY_NAME,
        (f) => msg.zipEntryName(f, "..x.npy", 'starts with ".."'),
      ],
      [
        "a control character in a name",
        () => zipBytes([{ name: "x\u0000.npy", data: x }]),
        DataErrorCode.ZIP_ENTRY_NAME,
        (f) => msg.zipEntryName(f, "x\u0000.npy", "holds a control character"),
      ],
      [
        "an entry that is not an array",
        () => zipBytes([{ name: "notes.txt", data: x }]),
        DataErrorCode.ZIP_ENTRY_NAME,
        (f) => msg.zipEntryName(f, "notes.txt", 'is not a "<name>.npy" array'),
      ],
      [
        "two entries of one name",
        () =>
          zipBytes([
            { name: "x.npy", data: x },
            { name: "x.npy", data: x },
          ]),
        DataErrorCode.ZIP_ENTRY_NAME,
        (f) => msg.zipEntryName(f, "x.npy", "appears twice"),
      ],
      [
        "a local header naming another file",
        () => zipBytes([{ name: "x.npy", data: x, localName: "z.npy" }]),
        DataErrorCode.ZIP_INVALID,
        (f) => msg.zipInvalid(f, 'entry "x.npy"\'s local header names another file'),
      ],
      [
        "a bad CRC-32",
        () => zipBytes([{ name: "x.npy", data: x, crc: 1234 }]),
        DataErrorCode.ZIP_CORRUPT,
        (f) => msg.zipCorrupt(f, "x.npy", "its CRC-32 does not match its bytes"),
      ],
      [
        "deflate data that does not inflate",
        () => zipBytes([{ name: "x.npy", data: x, method: 8, stored: Uint8Array.from([0xff, 0xff, 0xff, 0xff]) }]),
        DataErrorCode.ZIP_CORRUPT,
        (f) => msg.zipCorrupt(f, "x.npy", `its deflate data does not inflate (${inflateError([0xff, 0xff, 0xff, 0xff])})`),
      ],
      [
        "a bomb: deflate data inflating past its declared size",
        () => zipBytes([{ name: "x.npy", data: x, method: 8, stored: new Uint8Array(deflateRawSync(new Uint8Array(10_000_000))) }]),
        DataErrorCode.ZIP_CORRUPT,
        (f) => msg.zipCorrupt(f, "x.npy", `it inflates to more than its declared ${x.length} bytes`),
      ],
      [
        "a stored entry whose sizes differ",
        () => zipBytes([{ name: "x.npy", data: x, declaredSize: x.length + 1 }]),
        DataErrorCode.ZIP_CORRUPT,
        (f) => msg.zipCorrupt(f, "x.npy", `it is stored (not compressed) but lists ${x.length} stored and ${x.length + 1} actual bytes`),
      ],
      [
        "entries sharing bytes (overlapping)",
        () => withCentralEntry(overlapping(), "y.npy", y, 30 + 5 + x.length),
        DataErrorCode.ZIP_INVALID,
        (f) => msg.zipInvalid(f, 'entry "y.npy" overlaps the entry before it'),
      ],
      [
        "unexplained bytes before the directory",
        () => zipBytes(valid(), { gap: 5 }),
        DataErrorCode.ZIP_INVALID,
        (f) => msg.zipInvalid(f, "5 unexplained bytes precede the central directory"),
      ],
      [
        "an entry whose data runs into the directory",
        () => setU32(setU32(zipBytes([{ name: "x.npy", data: x }]), 30 + 5 + x.length + 20, x.length + 40), 30 + 5 + x.length + 24, x.length + 40),
        DataErrorCode.ZIP_INVALID,
        (f) => msg.zipInvalid(f, `entry "x.npy"'s data (${x.length + 40} bytes at 35) runs into the central directory`),
      ],
      [
        "a missing zip64 record",
        () => setU16(zipBytes(valid()), eocd(zipBytes(valid())) + 10, 0xffff),
        DataErrorCode.ZIP_INVALID,
        (f) => msg.zipInvalid(f, "the end record needs a zip64 locator, which is missing"),
      ],
      ["no arrays at all", () => zipBytes([]), DataErrorCode.FILE_EMPTY, (f) => msg.fileEmpty(f, "the archive holds no arrays")],
      [
        "an entry that is not a .npy file",
        () => zipBytes([{ name: "x.npy", data: Uint8Array.from([1, 2, 3]) }]),
        DataErrorCode.NPY_NOT_NPY,
        (f) => msg.npyNotNpy(`${f} (x.npy)`, "it is 3 bytes, shorter than the 10-byte preamble"),
      ],
    ];
    for (const [what, bytes, code, message] of cases) {
      it(what, async () => {
        const path = await dir.file("bad.npz", bytes());
        await rejectsWith(fromNpz(path), code, message(path), path);
      });
    }
  });
});

function zipDirSize(entries: ZipEntryInput[]): number {
  const b = zipBytes(entries);
  return new DataView(b.buffer).getUint32(b.length - 22 + 12, true);
}

function zipEocd(entries: ZipEntryInput[]): number {
  return zipBytes(entries).length - 22;
}

/** zlib's wording for `bytes` that do not inflate, as the reader reports it. */
function inflateError(bytes: number[]): string {
  try {
    inflateRawSync(Uint8Array.from(bytes), { maxOutputLength: 1000 });
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("the bytes inflate");
}

/** `archive` with one more central-directory entry, for `name`, whose local header is at `offset`. */
function withCentralEntry(archive: Uint8Array, name: string, data: Uint8Array, offset: number): Uint8Array {
  const view = new DataView(archive.buffer);
  const end = archive.length - 22;
  const dirSize = view.getUint32(end + 12, true);
  const dirOffset = view.getUint32(end + 16, true);
  const extra = zipBytes([{ name, data }]);
  const extraView = new DataView(extra.buffer);
  const extraDirOffset = extraView.getUint32(extra.length - 22 + 16, true);
  const entry = extra.slice(extraDirOffset, extra.length - 22);
  new DataView(entry.buffer).setUint32(42, offset, true);
  const out = new Uint8Array(archive.length + entry.length);
  out.set(archive.subarray(0, dirOffset + dirSize));
  out.set(entry, dirOffset + dirSize);
  out.set(archive.subarray(end), dirOffset + dirSize + entry.length);
  const outView = new DataView(out.buffer);
  const outEnd = out.length - 22;
  outView.setUint16(outEnd + 8, 2, true);
  outView.setUint16(outEnd + 10, 2, true);
  outView.setUint32(outEnd + 12, dirSize + entry.length, true);
  return out;
}

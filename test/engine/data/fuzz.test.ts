/**
 * Mutation fuzzing (fast-check), about 6,000 inputs in all: valid .npy files, .npz archives
 * (stored, deflated, zip64) and CSV texts, damaged by random byte flips, insertions, deletions,
 * truncations and splices of the formats' own tokens. Every input must either parse into a
 * consistent dataset or fail with an NbresumeError of a DATA_* code — never another error,
 * never a hang (each input is timed).
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { rowLength } from "../../../src/engine/data/check-dataset.js";
import type { Column } from "../../../src/engine/data/dataset.js";
import { type FromCsvOptions, parseCsvText } from "../../../src/engine/data/from-csv.js";
import { parseNpz } from "../../../src/engine/data/from-npz.js";
import { DataErrorCode } from "../../../src/engine/data/messages.js";
import { parseNpy } from "../../../src/engine/data/npy-array.js";
import { NbresumeError } from "../../../src/errors.js";
import { npyBytes } from "./npy-builder.js";
import { FIXTURES } from "./data-files.js";
import { zipBytes } from "./zip-builder.js";

const CODES = new Set<string>(Object.values(DataErrorCode));
/** Milliseconds any one input may take (generous: the machine is shared). */
const PER_INPUT_MS = 500;

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

/** Runs `parse`, checking that it returns or throws one of our codes, in bounded time. */
function outcome<T>(parse: () => T, check: (result: T) => void): string {
  const start = performance.now();
  let code = "ok";
  try {
    check(parse());
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    if (!(e instanceof NbresumeError)) throw new assert.AssertionError({ message: `not an NbresumeError: ${String((e as Error)?.stack ?? e)}` });
    assert.ok(CODES.has(e.code), `unexpected code ${e.code}: ${e.message}`);
    code = e.code;
  }
  const ms = performance.now() - start;
  assert.ok(ms < PER_INPUT_MS, `one input took ${ms.toFixed(0)} ms`);
  return code;
}

function checkColumns(result: { count: number; columns: Readonly<Record<string, Column>> }): void {
  assert.ok(Number.isSafeInteger(result.count) && result.count >= 1);
  for (const c of Object.values(result.columns)) assert.equal(c.data.length, result.count * rowLength(c.shape));
}

type Mutation =
  | { kind: "flip"; at: number; value: number }
  | { kind: "insert"; at: number; bytes: number[] }
  | { kind: "delete"; at: number; length: number }
  | { kind: "truncate"; at: number }
  | { kind: "duplicate"; at: number; length: number };

/** Mutations addressed by fractions of the input's length, so one arbitrary fits any input. */
function mutations(tokens: readonly (readonly number[])[]): fc.Arbitrary<Mutation[]> {
  // Unbiased: fast-check favours small values, which would put most mutations in the magic bytes.
  const at = fc.noBias(fc.integer({ min: 0, max: 2 ** 30 - 1 })).map((n) => n / 2 ** 30);
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at, value: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 0xff, 0x7f, 0x80)) }),
    fc.record({
      kind: fc.constant("insert" as const),
      at,
      bytes: fc.oneof(fc.constantFrom(...tokens.map((t) => [...t])), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 })),
    }),
    fc.record({ kind: fc.constant("delete" as const), at, length: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ kind: fc.constant("truncate" as const), at }),
    fc.record({ kind: fc.constant("duplicate" as const), at, length: fc.integer({ min: 1, max: 32 }) }),
  );
  return fc.array(mutation, { minLength: 1, maxLength: 4 });
}

function mutate(input: Uint8Array, list: readonly Mutation[]): Uint8Array {
  let b = Array.from(input);
  for (const m of list) {
    const i = Math.floor(m.at * (b.length + 1));
    if (m.kind === "flip" && b.length > 0) b[Math.min(i, b.length - 1)] = m.value;
    else if (m.kind === "insert") b.splice(i, 0, ...m.bytes);
    else if (m.kind === "delete") b.splice(i, m.length);
    else if (m.kind === "truncate") b = b.slice(0, i);
    else if (m.kind === "duplicate") b.splice(i, 0, ...b.slice(i, i + m.length));
  }
  return Uint8Array.from(b);
}

const ascii = (s: string): number[] => Array.from(new TextEncoder().encode(s));

describe("fuzz: damaged .npy, .npz and CSV inputs parse or fail with a DATA_* NbresumeError", function () {
  this.timeout(300_000);

  it("mutated .npy files (2,000)", () => {
    const seeds = ["f4.npy", "i8.npy", "u1.npy", "f8.npy", "be-i4.npy", "fortran.npy", "v2.npy", "v3.npy", "b1.npy", "f2.npy"].map(fixture);
    const tokens = ["'", "(", ")", ",", "'<f8'", "True", "1L", "99999999999999999", "{", "}", "\n", "'shape': (", "\u0093NUMPY"].map(ascii);
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: seeds.length - 1 }), mutations(tokens), (s, list) => {
        const code = outcome(
          () => parseNpy(mutate(seeds[s]!, list), "fuzz.npy", "x"),
          ({ count, column }) => checkColumns({ count, columns: { x: column } }),
        );
        seen.set(code, (seen.get(code) ?? 0) + 1);
      }),
      { numRuns: 2000, seed: 20261206 },
    );
    if (process.env["FUZZ_REPORT"]) console.log(Object.fromEntries(seen));
    assert.ok(seen.size >= 5, `the mutations reached only ${[...seen.keys()].join(", ")}`);
  });

  it("mutated .npz archives: numpy's stored and deflated ones, a zip64 one, and well-formed zips of mutated arrays (2,000)", () => {
    const x = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", new Uint8Array(Float32Array.from([1, 2, 3, 4]).buffer));
    const y = fixture("i8.npy");
    const seeds = [
      fixture("stored.npz"),
      fixture("deflated.npz"),
      zipBytes(
        [
          { name: "x.npy", data: x, method: 8 },
          { name: "y.npy", data: x },
        ],
        { zip64: true },
      ),
    ];
    const tokens = [
      [0x50, 0x4b, 0x03, 0x04],
      [0x50, 0x4b, 0x01, 0x02],
      [0x50, 0x4b, 0x05, 0x06],
      [0xff, 0xff, 0xff, 0xff],
      [0, 0, 0, 0],
      ascii("../"),
      ascii(".npy"),
      ascii("'<i8'"),
      ascii("(3,)"),
    ];
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: seeds.length + 1 }), mutations(tokens), fc.boolean(), (s, list, deflate) => {
        // Half the runs damage the archive itself; the others archive damaged arrays correctly
        // (right sizes and CRC-32), so the .npy checks behind the zip checks are reached too.
        const bytes =
          s < seeds.length
            ? mutate(seeds[s]!, list)
            : zipBytes([
                { name: "x.npy", data: mutate(s === seeds.length ? x : y, list), method: deflate ? 8 : 0 },
                { name: "y.npy", data: y },
              ]);
        const code = outcome(() => parseNpz(bytes, "fuzz.npz"), checkColumns);
        seen.set(code, (seen.get(code) ?? 0) + 1);
      }),
      { numRuns: 2000, seed: 20261207 },
    );
    if (process.env["FUZZ_REPORT"]) console.log(Object.fromEntries(seen));
    assert.ok(seen.size >= 5, `the mutations reached only ${[...seen.keys()].join(", ")}`);
  });

  it("mutated CSV texts, with every column dtype (2,000)", () => {
    const seeds = ['x,y,label,id\n1.5,-2,3,9007199254740993\n"4",5e-3,0,-1\n7,8,255,0\r\n', 'a;b\n"x;y",2\n3,"q""uote"\n', "p\n1\n2\n3\n4\n"].map((t) =>
      Uint8Array.from(ascii(t)),
    );
    const options: FromCsvOptions[] = [
      { columns: { xy: { from: ["x", "y"] }, label: "uint8" as const, id: "int64" as const } },
      { delimiter: ";", columns: { b: "int32" as const } },
      { allowNaN: true },
    ];
    const tokens = ['"', ",", ";", "\n", "\r", "NaN", "-", "e", "1e99", "99999999999999999999", "\ufeff", " "].map(ascii);
    const decoder = new TextDecoder();
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: seeds.length - 1 }), mutations(tokens), (s, list) => {
        const text = decoder.decode(mutate(seeds[s]!, list));
        const code = outcome(() => parseCsvText(text, "fuzz.csv", options[s]), checkColumns);
        seen.set(code, (seen.get(code) ?? 0) + 1);
      }),
      { numRuns: 2000, seed: 20261208 },
    );
    if (process.env["FUZZ_REPORT"]) console.log(Object.fromEntries(seen));
    assert.ok(seen.size >= 5, `the mutations reached only ${[...seen.keys()].join(", ")}`);
  });
});

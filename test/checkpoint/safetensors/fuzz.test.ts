/**
 * Property-based tests (fast-check), 12,000 runs in all: random bytes, random headers, and valid
 * files with random mutations go to the reader, which must either return tensors consistent with
 * the header or throw NbresumeError with a SAFETENSORS_* code: never another error, never an
 * allocation larger than the input. Random valid tensor groups must round-trip exactly.
 */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
  DTYPE_OF,
  SafetensorsErrorCode as Code,
  type ByteSource,
  memoryByteSource,
  parseHeader,
  parseSafetensors,
  readSafetensors,
  safetensorsLayout,
  writeSafetensors,
} from "../../../src/checkpoint/safetensors/index.js";
import { NbresumeError } from "../../../src/errors.js";
import { DTYPES, type DType, type TensorGroup, allocate, tensorBytes } from "../../../src/tensor.js";
import { CollectingSink } from "./collecting-sink.js";
import { assertSameTensors } from "./same-tensors.js";

const WHERE = "fuzz.safetensors";

/** Codes that would mean a reader bug when reading well-behaved memory. */
const NEVER_IN_MEMORY = new Set<string>([Code.READ_FAILED, Code.ALLOCATION_FAILED]);

type Outcome = { ok: true; tensors: TensorGroup } | { ok: false; code: string };

/** Checks the success case against the header: same names, dtypes, shapes, and the file's own bytes. */
function checkConsistent(bytes: Uint8Array, tensors: TensorGroup): void {
  const header = parseHeader(bytes, bytes.byteLength, WHERE);
  assert.deepEqual(Object.keys(tensors).sort(), header.entries.map((e) => e.name).sort());
  let covered = header.dataStart;
  for (const e of header.entries) {
    const t = Object.getOwnPropertyDescriptor(tensors, e.name)?.value as TensorGroup[string];
    assert.equal(t.dtype, DTYPE_OF[e.dtype]);
    assert.deepEqual([...t.shape], [...e.shape]);
    assert.equal(t.data.buffer.byteLength, e.end - e.begin, "each tensor owns exactly its bytes");
    assert.ok(Buffer.from(tensorBytes(t)).equals(bytes.subarray(e.begin, e.end)));
    covered += e.end - e.begin;
  }
  assert.equal(covered, bytes.byteLength, "the tensors and header cover the file exactly");
}

function classify(e: unknown): string {
  if (!(e instanceof NbresumeError)) throw new assert.AssertionError({ message: `not an NbresumeError: ${String(e)}` });
  assert.ok(e.code.startsWith("SAFETENSORS_"), e.code);
  assert.ok(!NEVER_IN_MEMORY.has(e.code), `${e.code}: ${e.message}`);
  assert.equal(e.where, WHERE);
  return e.code;
}

function parseOutcome(bytes: Uint8Array): Outcome {
  let tensors: TensorGroup;
  try {
    tensors = parseSafetensors(bytes, WHERE).tensors;
  } catch (e) {
    return { ok: false, code: classify(e) };
  }
  checkConsistent(bytes, tensors);
  return { ok: true, tensors };
}

/** A memory source that fails the test if the reader asks for bytes outside the file. */
function strictSource(bytes: Uint8Array): ByteSource {
  const inner = memoryByteSource(bytes);
  return {
    size: inner.size,
    read(into, position) {
      assert.ok(position >= 0 && position + into.byteLength <= bytes.byteLength, `read outside the file at ${position}`);
      return inner.read(into, position);
    },
  };
}

/** The streaming reader must reach the same outcome as the in-memory parser, observing the exact file. */
async function streamOutcomeMatches(bytes: Uint8Array, expected: Outcome): Promise<void> {
  const seen: Uint8Array[] = [];
  try {
    const { tensors } = await readSafetensors(strictSource(bytes), { where: WHERE, observe: (c) => seen.push(Uint8Array.from(c)) });
    assert.ok(expected.ok, "the streaming reader accepted what the parser refused");
    assertSameTensors(tensors, expected.tensors);
    assert.ok(Buffer.concat(seen).equals(bytes), "observe saw the file's exact bytes");
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.ok(!expected.ok, `the streaming reader refused what the parser accepted: ${String(e)}`);
    assert.equal(classify(e), expected.code);
  }
}

function withLength(header: Uint8Array, tail: Uint8Array, length?: bigint): Uint8Array {
  const out = new Uint8Array(8 + header.byteLength + tail.byteLength);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(header.byteLength), true);
  out.set(header, 8);
  out.set(tail, 8 + header.byteLength);
  return out;
}

const utf8 = new TextEncoder();

// ---- arbitraries -------------------------------------------------------------------------

const nameArb = fc.string({ unit: "binary", minLength: 1, maxLength: 6 }).filter((s) => s !== "__metadata__");

/** A tensor with random dtype, a small shape (zero dims and scalars included) and random bytes. */
const tensorArb = fc
  .record({ dtype: fc.constantFrom<DType>(...DTYPES), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }) })
  .chain(({ dtype, shape }) => {
    const count = shape.reduce((a, b) => a * b, 1);
    const data = allocate(dtype, count);
    return fc.uint8Array({ minLength: data.byteLength, maxLength: data.byteLength }).map((bytes) => {
      new Uint8Array(data.buffer).set(bytes);
      return { dtype, shape, data };
    });
  });

const groupArb = fc.dictionary(nameArb, tensorArb, { maxKeys: 5 });
const metadataArb = fc.option(fc.dictionary(fc.string({ unit: "binary", maxLength: 5 }), fc.string({ unit: "binary", maxLength: 8 }), { maxKeys: 3 }), {
  nil: undefined,
});

/** A valid file's bytes, built from the layout (the writer itself is exercised by the round trip). */
function encode(group: TensorGroup, metadata?: Record<string, string>): Uint8Array {
  const layout = safetensorsLayout(group, metadata);
  const out = new Uint8Array(layout.fileSize);
  out.set(layout.header);
  for (const e of layout.entries) {
    const t = Object.getOwnPropertyDescriptor(group, e.name)?.value as TensorGroup[string];
    out.set(tensorBytes(t), e.begin);
  }
  return out;
}

const validFileArb = fc.tuple(groupArb, metadataArb).map(([g, m]) => encode(g, m));

/** JSON values likely to hit the validation rules' edges. */
const edgyValue = fc.oneof(
  fc.constantFrom(-1, 0, 1, 2, 2 ** 31, 2 ** 53, 2 ** 53 - 1, 2 ** 64, 1.5, -0, null, true, "F32", "U16", "", [], {}),
  fc.integer({ min: 0, max: 64 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Headers shaped like safetensors headers, with some fields random or wrong. */
const headerLikeArb = fc.dictionary(
  fc.oneof(nameArb, fc.constant("__metadata__")),
  fc.oneof(
    fc.record(
      {
        dtype: fc.oneof(fc.constantFrom("F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"), edgyValue),
        shape: fc.oneof(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }), fc.array(edgyValue, { maxLength: 3 })),
        data_offsets: fc.oneof(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })), fc.array(edgyValue, { maxLength: 3 })),
      },
      { requiredKeys: [] },
    ),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
    edgyValue,
  ),
  { maxKeys: 4 },
);

type Mutation =
  | { kind: "flip"; flips: [number, number][] }
  | { kind: "flipData"; at: number; xor: number }
  | { kind: "truncate"; at: number }
  | { kind: "append"; extra: Uint8Array }
  | { kind: "length"; length: bigint }
  | { kind: "lengthDelta"; delta: number }
  | { kind: "json"; path: number; value: unknown; op: "set" | "delete" | "add" }
  | { kind: "duplicate" }
  | { kind: "shiftOffsets"; path: number; delta: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant("flipData" as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("append" as const), extra: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant("length" as const), length: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  fc.record({ kind: fc.constant("lengthDelta" as const), delta: fc.integer({ min: -16, max: 16 }).filter((d) => d !== 0) }),
  fc.record({ kind: fc.constant("json" as const), path: fc.nat(), value: edgyValue, op: fc.constantFrom("set" as const, "delete" as const, "add" as const) }),
  fc.record({ kind: fc.constant("duplicate" as const) }),
  fc.record({ kind: fc.constant("shiftOffsets" as const), path: fc.nat(), delta: fc.integer({ min: -8, max: 8 }).filter((d) => d !== 0) }),
);

function headerOf(bytes: Uint8Array): { n: number; json: Record<string, unknown> } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { n, json: JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString("utf8")) as Record<string, unknown> };
}

/** Applies a mutation; says whether the result must be refused (and with which codes, if known). */
function mutate(file: Uint8Array, m: Mutation): { bytes: Uint8Array; mustFail?: readonly string[] | true } {
  const bytes = Uint8Array.from(file);
  const { n, json } = headerOf(file);
  const dataStart = 8 + n;
  switch (m.kind) {
    case "flip":
      for (const [at, xor] of m.flips) bytes[at % bytes.length] ^= xor;
      return { bytes };
    case "flipData": {
      if (bytes.length === dataStart) return { bytes };
      bytes[dataStart + (m.at % (bytes.length - dataStart))] ^= m.xor;
      return { bytes }; // must still read, with the flipped byte in place (checked by consistency)
    }
    case "truncate":
      return { bytes: bytes.subarray(0, m.at % bytes.length), mustFail: [Code.TOO_SHORT, Code.HEADER_LENGTH_INVALID, Code.TRUNCATED] };
    case "append":
      return { bytes: Buffer.concat([bytes, m.extra]), mustFail: [Code.TRAILING_BYTES] };
    case "length":
      new DataView(bytes.buffer).setBigUint64(0, m.length, true);
      return { bytes, mustFail: m.length === BigInt(n) ? undefined : true };
    case "lengthDelta": {
      const length = n + m.delta;
      if (length < 0) return { bytes };
      new DataView(bytes.buffer).setBigUint64(0, BigInt(length), true);
      return { bytes, mustFail: true };
    }
    case "json": {
      const keys = Object.keys(json);
      const entries: [Record<string, unknown>, string][] = [[json, keys[m.path % Math.max(1, keys.length)] ?? "x"]];
      for (const k of keys) {
        const v = json[k];
        if (typeof v === "object" && v !== null) for (const f of Object.keys(v)) entries.push([v as Record<string, unknown>, f]);
      }
      const [target, key] = entries[m.path % entries.length]!;
      if (m.op === "delete") delete target[key];
      else if (m.op === "set") target[key] = m.value;
      else target[`${key}+`] = m.value;
      let text = JSON.stringify(json);
      text += " ".repeat((8 - (utf8.encode(text).length % 8)) % 8);
      return { bytes: withLength(utf8.encode(text), bytes.subarray(dataStart)) };
    }
    case "shiftOffsets": {
      // Same size, other place: only the contiguity and coverage checks can catch it.
      const names = Object.keys(json).filter((k) => k !== "__metadata__");
      const name = names[m.path % Math.max(1, names.length)];
      if (name === undefined) return { bytes };
      const entry = json[name] as { data_offsets: [number, number] };
      entry.data_offsets = [entry.data_offsets[0] + m.delta, entry.data_offsets[1] + m.delta];
      let text = JSON.stringify(json);
      text += " ".repeat((8 - (utf8.encode(text).length % 8)) % 8);
      return { bytes: withLength(utf8.encode(text), bytes.subarray(dataStart)) };
    }
    case "duplicate": {
      const first = Object.keys(json)[0];
      if (first === undefined) return { bytes };
      const text = Buffer.from(bytes.subarray(8, 8 + n))
        .toString("utf8")
        .trimEnd();
      const copy = `${JSON.stringify(first)}:${JSON.stringify(json[first])}`;
      const doubled = `{${copy},${text.slice(1)}`;
      return { bytes: withLength(utf8.encode(doubled), bytes.subarray(dataStart)), mustFail: [Code.DUPLICATE_KEY] };
    }
  }
}

// ---- properties --------------------------------------------------------------------------

/** Every fourth case also goes through the streaming reader (slower, but the path the store uses). */
let counter = 0;
async function check(bytes: Uint8Array): Promise<Outcome> {
  const outcome = parseOutcome(bytes);
  if (counter++ % 4 === 0) await streamOutcomeMatches(bytes, outcome);
  return outcome;
}

describe("safetensors reader under fuzzing (fast-check)", () => {
  it("refuses random byte strings with a SAFETENSORS_* error only (1,000 runs)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (b) => {
        await check(b);
      }),
      { numRuns: 1000 },
    );
  });

  it("handles random header bytes behind a correct length field (1,000 runs)", async () => {
    const arb = fc.tuple(fc.uint8Array({ maxLength: 96 }), fc.uint8Array({ maxLength: 24 })).map(([h, t]) => withLength(h, t));
    await fc.assert(
      fc.asyncProperty(arb, async (b) => {
        await check(b);
      }),
      { numRuns: 1000 },
    );
  });

  it("handles random JSON headers, including huge and negative numbers (1,000 runs)", async () => {
    const arb = fc.tuple(fc.json({ maxDepth: 3 }), fc.uint8Array({ maxLength: 24 })).map(([j, t]) => withLength(utf8.encode(j), t));
    await fc.assert(
      fc.asyncProperty(arb, async (b) => {
        await check(b);
      }),
      { numRuns: 1000 },
    );
  });

  it("handles headers shaped like safetensors with random and wrong fields (2,000 runs)", async () => {
    const arb = fc.tuple(headerLikeArb, fc.integer({ min: 0, max: 48 })).map(([h, n]) => withLength(utf8.encode(JSON.stringify(h)), new Uint8Array(n)));
    const codes = new Set<string>();
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(arb, async (b) => {
        const o = await check(b);
        if (o.ok) accepted++;
        else codes.add(o.code);
      }),
      { numRuns: 2000 },
    );
    // The generator reaches deep into validation, not just the JSON parser.
    for (const code of [Code.ENTRY_INVALID, Code.DTYPE_UNKNOWN, Code.SHAPE_INVALID, Code.OFFSETS_INVALID, Code.SIZE_MISMATCH]) {
      assert.ok(codes.has(code), `never produced ${code}; got ${[...codes].join(" ")}`);
    }
    assert.ok(accepted > 0, "some generated headers are valid");
  });

  it("reads mutated valid files consistently or refuses them with a SAFETENSORS_* error (5,000 runs)", async () => {
    const codes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(validFileArb, mutationArb, async (file, m) => {
        const { bytes, mustFail } = mutate(file, m);
        const o = await check(bytes);
        if (mustFail !== undefined) {
          assert.ok(!o.ok, `mutation ${m.kind} must be refused`);
          if (mustFail !== true) assert.ok(mustFail.includes(o.code), `${m.kind}: ${o.code}`);
        }
        if (m.kind === "flipData") assert.ok(o.ok, "a flipped data byte is not detectable from the format alone (the store's hash does that)");
        if (!o.ok) codes.add(o.code);
      }),
      { numRuns: 5000 },
    );
    for (const code of [Code.TRUNCATED, Code.TRAILING_BYTES, Code.HEADER_TOO_LARGE, Code.HEADER_NOT_JSON, Code.DUPLICATE_KEY, Code.NOT_CONTIGUOUS]) {
      assert.ok(codes.has(code), `never produced ${code}; got ${[...codes].join(" ")}`);
    }
  });

  it("round-trips random tensor groups and metadata exactly through the writer and both readers (2,000 runs)", async () => {
    await fc.assert(
      fc.asyncProperty(groupArb, metadataArb, async (group, metadata) => {
        const sink = new CollectingSink();
        const { bytes } = await writeSafetensors(sink, group, metadata);
        const file = sink.bytes();
        assert.equal(bytes, file.byteLength);
        assert.ok(Buffer.from(file).equals(encode(group, metadata)), "the writer streams exactly the layout's bytes");
        const parsed = parseSafetensors(file, WHERE);
        assertSameTensors(parsed.tensors, group);
        // Compared as entries: fast-check may hand us null-prototype objects.
        assert.deepEqual(Object.entries(parsed.metadata), Object.entries(metadata ?? {}));
        const streamed = await readSafetensors(memoryByteSource(file), { where: WHERE });
        assertSameTensors(streamed.tensors, group);
      }),
      { numRuns: 2000 },
    );
  });
});

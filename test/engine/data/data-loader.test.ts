import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { isNbresumeError } from "../../../src/errors.js";
import type { Batch, DataLoaderCursor, DataLoaderOptions } from "../../../src/engine/data/batch.js";
import { DataLoader } from "../../../src/engine/data/data-loader.js";
import type { Dataset } from "../../../src/engine/data/dataset.js";
import { DataErrorCode, dataMessages as msg } from "../../../src/engine/data/messages.js";
import { fromArrays } from "../../../src/engine/data/from-arrays.js";
import { loadMnist } from "../../../src/engine/data/mnist.js";
import { createGenerator, generatorFromState } from "../../../src/engine/random/index.js";

const PIXELS = 784;

/** A comparable record of a batch: its fields, its columns' shapes, and a SHA-256 of every column's and the index bytes. */
function fingerprint(b: Batch): string {
  const hash = createHash("sha256");
  for (const a of [...Object.values(b.columns).map((c) => c.data), b.indices]) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const shapes = Object.entries(b.columns).map(([name, c]) => [name, c.dtype, c.shape]);
  return JSON.stringify([b.epoch, b.position, b.epochEnded, b.size, shapes, hash.digest("hex")]);
}

const pixels = (d: Dataset): Float32Array => d.columns["images"]!.data as Float32Array;
const labels = (d: Dataset): Uint8Array => d.columns["labels"]!.data as Uint8Array;

function take(loader: DataLoader, n: number): string[] {
  return Array.from({ length: n }, () => fingerprint(loader.next()));
}

/** What a resumed process does: a new generator from the seed, the cursor read back from JSON. */
function reopen(train: Dataset, options: Omit<DataLoaderOptions, "generator">, seed: number, cursor: DataLoaderCursor): DataLoader {
  const generator = createGenerator(seed).fork("data");
  return DataLoader.fromCursor(train, { ...options, generator }, JSON.parse(JSON.stringify(cursor)));
}

describe("DataLoader over the MNIST training digits", () => {
  let train: Dataset;
  let test: Dataset;
  before(async () => {
    ({ train, test } = await loadMnist());
  });

  describe("epochs", () => {
    it("serves every training image exactly once per epoch (dropLast: false), with its own pixels and label", () => {
      const loader = new DataLoader(train, { batchSize: 64, dropLast: false, generator: createGenerator(1).fork("data") });
      assert.equal(loader.batchesPerEpoch, Math.ceil(9003 / 64));
      for (let epoch = 0; epoch < 2; epoch++) {
        const seen = new Uint8Array(train.count);
        for (let p = 0; p < loader.batchesPerEpoch; p++) {
          const b = loader.next();
          assert.equal(b.epoch, epoch);
          assert.equal(b.position, p);
          assert.equal(b.size, p < loader.batchesPerEpoch - 1 ? 64 : 9003 % 64);
          const images = b.columns["images"]!;
          const batchLabels = b.columns["labels"]!;
          assert.deepEqual(Object.keys(b.columns), ["images", "labels"]);
          assert.deepEqual([images.dtype, images.shape], ["float32", [b.size, PIXELS]]);
          assert.deepEqual([batchLabels.dtype, batchLabels.shape], ["uint8", [b.size]]);
          assert.ok(images.data instanceof Float32Array && images.data.length === b.size * PIXELS);
          assert.ok(batchLabels.data instanceof Uint8Array && batchLabels.data.length === b.size);
          for (let r = 0; r < b.size; r++) {
            const row = b.indices[r]!;
            seen[row]!++;
            assert.equal(batchLabels.data[r], labels(train)[row]);
            assert.deepEqual(images.data.subarray(r * PIXELS, (r + 1) * PIXELS), pixels(train).subarray(row * PIXELS, (row + 1) * PIXELS));
          }
        }
        assert.ok(
          seen.every((c) => c === 1),
          `epoch ${epoch}: some image not served exactly once`,
        );
      }
    });

    it("with dropLast: true serves ⌊N/B⌋ full batches of distinct images, skipping a different remainder each epoch", () => {
      const loader = new DataLoader(train, { batchSize: 100, generator: createGenerator(2).fork("data") });
      assert.equal(loader.batchesPerEpoch, 90);
      const skipped: number[][] = [];
      for (let epoch = 0; epoch < 2; epoch++) {
        const seen = new Uint8Array(train.count);
        for (let p = 0; p < 90; p++) {
          const b = loader.next();
          assert.equal(b.size, 100);
          for (const row of b.indices) seen[row]!++;
        }
        assert.ok(seen.every((c) => c <= 1));
        skipped.push([...seen.keys()].filter((i) => seen[i] === 0));
      }
      assert.equal(skipped[0]!.length, 3);
      assert.notDeepEqual(skipped[0], skipped[1]);
    });

    it("marks each epoch's last batch with epochEnded, and the next batch starts the next epoch at position 0", () => {
      const loader = new DataLoader(train, { batchSize: 1000, generator: createGenerator(3) });
      const seen = Array.from({ length: 20 }, () => loader.next()).map((b) => [b.epoch, b.position, b.epochEnded]);
      assert.deepEqual(seen.slice(7, 11), [
        [0, 7, false],
        [0, 8, true],
        [1, 0, false],
        [1, 1, false],
      ]);
      assert.deepEqual(seen[17], [1, 8, true]);
      assert.deepEqual(seen[18], [2, 0, false]);
    });

    it("gives a different order in each epoch and for each seed", () => {
      const a = new DataLoader(train, { batchSize: 64, generator: createGenerator(4).fork("data") });
      const orders = [0, 1, 2].map((e) => a.epochOrder(e).join(","));
      assert.equal(new Set(orders).size, 3);
      const b = new DataLoader(train, { batchSize: 64, generator: createGenerator(5).fork("data") });
      assert.notEqual(b.epochOrder(0).join(","), orders[0]);
      const again = new DataLoader(train, { batchSize: 64, generator: createGenerator(4).fork("data") });
      assert.equal(again.epochOrder(1).join(","), orders[1]);
    });

    it("derives epoch e's order from generator.fork(`epoch:e`) alone, so a cursor at epoch 500 replays nothing", () => {
      const generator = createGenerator(6).fork("data");
      const expected = generator.fork("epoch:500").shuffle(Int32Array.from({ length: train.count }, (_, i) => i));
      const loader = new DataLoader(train, { batchSize: 50, generator });
      loader.restore({ ...loader.cursor(), epoch: 500, position: 3 });
      const b = loader.next();
      assert.equal(b.epoch, 500);
      assert.deepEqual(b.indices, expected.subarray(150, 200));
    });

    it("keeps its order when the same generator is also used for noise between batches", () => {
      const shared = createGenerator(7);
      const quiet = new DataLoader(train, { batchSize: 500, generator: createGenerator(7) });
      const noisy = new DataLoader(train, { batchSize: 500, generator: shared });
      for (let i = 0; i < 40; i++) {
        shared.fillNormal(new Float32Array(1 + i * 37));
        assert.deepEqual(noisy.next().indices, quiet.next().indices, `batch ${i}`);
      }
    });

    it("with shuffle: false serves rows 0..N−1 in order every epoch, without a generator", () => {
      const loader = new DataLoader(test, { batchSize: 100, shuffle: false, dropLast: false });
      for (let epoch = 0; epoch < 2; epoch++) {
        const rows: number[] = [];
        for (let p = 0; p < loader.batchesPerEpoch; p++) rows.push(...loader.next().indices);
        assert.deepEqual(
          rows,
          Array.from({ length: test.count }, (_, i) => i),
        );
      }
      assert.equal(loader.cursor().generatorKey, null);
    });
  });

  describe("batch arrays", () => {
    it("are fresh by default: an earlier batch is unchanged by later next() calls", () => {
      const loader = new DataLoader(train, { batchSize: 32, generator: createGenerator(8) });
      const first = loader.next();
      const copy = fingerprint(first);
      take(loader, 5);
      assert.equal(fingerprint(first), copy);
    });

    it("with reuseBuffers: true are the same arrays each time, holding exactly what fresh arrays would", () => {
      const fresh = new DataLoader(train, { batchSize: 1000, dropLast: false, generator: createGenerator(9) });
      const reused = new DataLoader(train, { batchSize: 1000, dropLast: false, generator: createGenerator(9), reuseBuffers: true });
      const firstImages = reused.next().columns["images"]!.data;
      fresh.next();
      for (let i = 1; i < 12; i++) {
        const a = fresh.next(),
          b = reused.next();
        assert.equal(fingerprint(b), fingerprint(a), `batch ${i}`);
        assert.equal(b.columns["images"]!.data.buffer, firstImages.buffer, "no new allocation");
      }
    });
  });

  describe("cursor and resume", () => {
    const options = { batchSize: 1000 } as const; // 9 batches per epoch, 3 images dropped
    const seed = 1234;
    let straight: string[];
    before(() => {
      straight = take(new DataLoader(train, { ...options, generator: createGenerator(seed).fork("data") }), 30);
    });

    for (const [k, where] of [
      [0, "before the first batch"],
      [4, "mid-epoch"],
      [8, "before an epoch's last batch"],
      [9, "at an epoch boundary"],
      [18, "at the second epoch boundary"],
      [22, "mid-epoch in epoch 2"],
    ] as const) {
      it(`resumes ${where} (after ${k} batches) with bitwise the same batches as an uninterrupted loader`, () => {
        const first = new DataLoader(train, { ...options, generator: createGenerator(seed).fork("data") });
        const before = take(first, k);
        assert.deepEqual(before, straight.slice(0, k));
        const cursor = first.cursor();
        assert.deepEqual([cursor.epoch, cursor.position], [Math.floor(k / 9), k % 9]);
        const resumed = reopen(train, options, seed, cursor);
        assert.deepEqual(take(resumed, 30 - k), straight.slice(k));
      });
    }

    it("restore() moves a running loader to the cursor, forwards or backwards", () => {
      const loader = new DataLoader(train, { ...options, generator: createGenerator(seed).fork("data") });
      take(loader, 3);
      const at3 = loader.cursor();
      take(loader, 20);
      loader.restore(at3);
      assert.deepEqual(take(loader, 10), straight.slice(3, 13));
    });

    it("resumes the same order when the generator comes back from a checkpointed state instead of the seed", () => {
      const root = createGenerator(seed);
      root.fillNormal(new Float32Array(101)); // noise drawn before the checkpoint
      const first = new DataLoader(train, { ...options, generator: root.fork("data") });
      take(first, 13);
      const saved = JSON.parse(JSON.stringify({ rng: root.state(), data: first.cursor() })) as { rng: unknown; data: unknown };
      const restoredRoot = generatorFromState(saved.rng);
      const resumed = DataLoader.fromCursor(train, { ...options, generator: restoredRoot.fork("data") }, saved.data);
      assert.deepEqual(take(resumed, 17), straight.slice(13));
    });

    describe("refuses a cursor from another loader (NbresumeError DATA_CURSOR_MISMATCH, saying what differs)", () => {
      const saved = () => {
        const loader = new DataLoader(train, { batchSize: 64, generator: createGenerator(1).fork("data") });
        take(loader, 3);
        return JSON.parse(JSON.stringify(loader.cursor())) as DataLoaderCursor;
      };
      const cases: [string, () => [Dataset, DataLoaderOptions], string[]][] = [
        ["another batch size", () => [train, { batchSize: 32, generator: createGenerator(1).fork("data") }], ["batch size: saved 64, this loader 32"]],
        [
          "another dataset size",
          () => [test, { batchSize: 64, generator: createGenerator(1).fork("data") }],
          ["dataset: saved mnist/train with 9003 examples, this loader mnist/test with 997"],
        ],
        [
          "another seed",
          () => [train, { batchSize: 64, generator: createGenerator(2).fork("data") }],
          [`seed: saved generator key ${createGenerator(1).fork("data").key}, this loader's ${createGenerator(2).fork("data").key}`],
        ],
        [
          "shuffle and dropLast switched off",
          () => [train, { batchSize: 64, shuffle: false, dropLast: false }],
          ["shuffle: saved true, this loader false", "dropLast: saved true, this loader false"],
        ],
      ];
      for (const [what, make, differences] of cases) {
        it(`with ${what}`, () => {
          const cursor = saved();
          const check = (e: unknown) => isNbresumeError(e, DataErrorCode.CURSOR_MISMATCH) && e.message === msg.cursorMismatch(differences);
          const [dataset, options] = make();
          const loader = new DataLoader(dataset, options);
          assert.throws(() => loader.restore(cursor), check);
          assert.deepEqual([loader.epoch, loader.position], [0, 0], "a refused cursor changes nothing");
          assert.throws(() => DataLoader.fromCursor(dataset, options, cursor), check);
        });
      }
    });

    describe("refuses a malformed cursor (NbresumeError DATA_CURSOR_INVALID, naming the field)", () => {
      const cases: [string, (c: Record<string, unknown>) => unknown, string, string, unknown][] = [
        ["that is not an object", () => null, "the cursor", "an object as DataLoader.cursor() returns it", null],
        ["of another version", (c) => ({ ...c, version: 2 }), "version", "1", 2],
        ["with a negative epoch", (c) => ({ ...c, epoch: -1 }), "epoch", "an integer ≥ 0", -1],
        ["with a fractional position", (c) => ({ ...c, position: 1.5 }), "position", "an integer ≥ 0", 1.5],
        ["with a position past the epoch's last batch", (c) => ({ ...c, position: 140 }), "position", "below batchesPerEpoch (140)", 140],
        [
          "without a batch size",
          (c) => {
            const { batchSize: _b, ...rest } = c;
            return rest;
          },
          "batchSize",
          "an integer ≥ 1",
          undefined,
        ],
        ["with shuffle as a string", (c) => ({ ...c, shuffle: "yes" }), "shuffle", "true or false", "yes"],
        ["with a malformed generator key", (c) => ({ ...c, generatorKey: "xyz" }), "generatorKey", "16 lowercase hex digits when shuffle is true", "xyz"],
      ];
      for (const [what, corrupt, field, expected, got] of cases) {
        it(what, () => {
          const loader = new DataLoader(train, { batchSize: 64, generator: createGenerator(1).fork("data") });
          const bad = corrupt({ ...loader.cursor() });
          assert.throws(
            () => loader.restore(bad),
            (e: unknown) => isNbresumeError(e, DataErrorCode.CURSOR_INVALID) && e.message === msg.cursorInvalid(field, expected, got) && e.where === field,
          );
        });
      }
    });
  });

  describe("options", () => {
    it("rejects a batch size that is not a positive integer with a RangeError", () => {
      for (const bad of [0, -5, 2.5, Number.NaN]) {
        assert.throws(
          () => new DataLoader(train, { batchSize: bad, generator: createGenerator(1) }),
          (e: unknown) => e instanceof RangeError && e.message === msg.badBatchSize(bad),
        );
      }
    });

    it("rejects shuffle without a generator with a TypeError", () => {
      assert.throws(
        () => new DataLoader(train, { batchSize: 8 }),
        (e: unknown) => e instanceof TypeError && e.message === msg.missingGenerator(),
      );
    });

    it("rejects a batch larger than the dataset when dropLast would leave every epoch empty", () => {
      assert.throws(
        () => new DataLoader(test, { batchSize: 1000, generator: createGenerator(1) }),
        (e: unknown) => e instanceof RangeError && e.message === msg.emptyEpoch(1000, 997, "mnist/test"),
      );
      assert.equal(new DataLoader(test, { batchSize: 1000, dropLast: false, generator: createGenerator(1) }).batchesPerEpoch, 1);
    });
  });
});

/** 103 examples of three columns whose values encode the row: x float32 [3], tokens int64 [2] (beyond 2^53), tag uint8. */
function multiColumn(): Dataset {
  const n = 103;
  return fromArrays("multi", {
    x: { dtype: "float32", shape: [3], data: Float32Array.from({ length: 3 * n }, (_, i) => Math.floor(i / 3) + (i % 3) / 4) },
    tokens: {
      dtype: "int64",
      shape: [2],
      data: BigInt64Array.from({ length: 2 * n }, (_, i) => 2n ** 60n * BigInt(i % 2 === 0 ? 1 : -1) + BigInt(Math.floor(i / 2))),
    },
    tag: { dtype: "uint8", data: Uint8Array.from({ length: n }, (_, i) => (i * 7) % 256) },
  });
}

describe("DataLoader over a multi-column dataset (float32 [3], int64 [2], uint8 [])", () => {
  const data = multiColumn();
  const options = { batchSize: 10, dropLast: false } as const; // 11 batches per epoch, the last of 3

  it("serves one tensor per column, [size, ...shape] in the column's dtype, holding the batch's rows", () => {
    const loader = new DataLoader(data, { ...options, generator: createGenerator(5).fork("data") });
    for (let p = 0; p < loader.batchesPerEpoch; p++) {
      const b = loader.next();
      const { x, tokens, tag } = b.columns;
      assert.deepEqual(
        [x!.dtype, x!.shape, tokens!.dtype, tokens!.shape, tag!.dtype, tag!.shape],
        ["float32", [b.size, 3], "int64", [b.size, 2], "uint8", [b.size]],
      );
      b.indices.forEach((row, r) => {
        assert.deepEqual(Array.from(x!.data.subarray(3 * r, 3 * r + 3) as Float32Array), [row, row + 0.25, row + 0.5]);
        assert.deepEqual(Array.from(tokens!.data.subarray(2 * r, 2 * r + 2) as BigInt64Array), [2n ** 60n + BigInt(row), -(2n ** 60n) + BigInt(row)]);
        assert.equal(tag!.data[r], (row * 7) % 256);
      });
    }
  });

  it("resumes through a JSON cursor at any point with bitwise the same batches, every column included", () => {
    const straight = take(new DataLoader(data, { ...options, generator: createGenerator(6).fork("data") }), 40);
    for (const k of [0, 1, 10, 11, 12, 21, 22, 33, 39]) {
      const first = new DataLoader(data, { ...options, generator: createGenerator(6).fork("data") });
      assert.deepEqual(take(first, k), straight.slice(0, k));
      const resumed = reopen(data, options, 6, first.cursor());
      assert.deepEqual(take(resumed, 40 - k), straight.slice(k), `resumed after ${k} batches`);
    }
  });

  it("with reuseBuffers: true reuses one array per column, the epoch's short last batch a view of it", () => {
    const fresh = new DataLoader(data, { ...options, generator: createGenerator(7) });
    const reused = new DataLoader(data, { ...options, generator: createGenerator(7), reuseBuffers: true });
    const first = reused.next();
    fresh.next();
    for (let i = 1; i < 22; i++) {
      const a = fresh.next(),
        b = reused.next();
      assert.equal(fingerprint(b), fingerprint(a), `batch ${i}`);
      for (const name of ["x", "tokens", "tag"]) assert.equal(b.columns[name]!.data.buffer, first.columns[name]!.data.buffer, name);
    }
  });

  describe("refuses an inconsistent dataset with a RangeError naming the column", () => {
    const base = multiColumn();
    const cases: [string, () => Dataset, string][] = [
      [
        "a column of the wrong length",
        () => ({ ...base, columns: { ...base.columns, tag: { dtype: "uint8", shape: [], data: new Uint8Array(102) } } }),
        'column "tag" has 102 values, expected count × 1 = 103 (shape [] per example)',
      ],
      [
        "data of another type than the dtype",
        () => ({ ...base, columns: { ...base.columns, tag: { dtype: "uint8", shape: [], data: new Int32Array(103) } } }),
        'column "tag" is uint8 but its data is not a Uint8Array',
      ],
      [
        "an unknown dtype",
        () => ({ ...base, columns: { y: { dtype: "float64", shape: [], data: new Float64Array(103) } as never } }),
        'column "y" has dtype "float64", expected one of float32, int32, int64, uint8',
      ],
      [
        "a shape with a zero",
        () => ({ ...base, columns: { x: { dtype: "float32", shape: [0], data: new Float32Array(0) } } }),
        'column "x" has shape [0], expected an array of positive integers ([] for one value per example)',
      ],
      ["no columns", () => ({ ...base, columns: {} }), "it has no columns"],
      ["a count of 0", () => ({ ...base, count: 0 }), "count is 0, expected a positive integer"],
    ];
    for (const [what, make, problem] of cases) {
      it(what, () => {
        const d = make();
        assert.throws(() => new DataLoader(d, { batchSize: 4, shuffle: false }), {
          name: "RangeError",
          message: msg.badDataset("DataLoader", "multi", problem),
        });
      });
    }
  });
});

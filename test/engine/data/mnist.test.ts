import { strict as assert } from "node:assert";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isNbresumeError } from "../../../src/errors.js";
import type { Dataset } from "../../../src/engine/data/dataset.js";
import { DataErrorCode, dataMessages as msg } from "../../../src/engine/data/messages.js";
import { loadMnist, MNIST_DIGIT_COUNTS, MNIST_FINGERPRINT, MNIST_SOURCE, mnistDigitsDir, mnistFingerprint } from "../../../src/engine/data/mnist.js";

const PIXELS = 784;

const images = (d: Dataset): Float32Array => d.columns["images"]!.data as Float32Array;
const labels = (d: Dataset): Uint8Array => d.columns["labels"]!.data as Uint8Array;

function row(d: Dataset, i: number): Float32Array {
  return images(d).subarray(i * PIXELS, (i + 1) * PIXELS);
}

function rowKey(d: Dataset, i: number): string {
  const r = row(d, i);
  return Buffer.from(r.buffer, r.byteOffset, r.byteLength).toString("base64");
}

describe("MNIST digits from the mnist package", () => {
  let train: Dataset;
  let test: Dataset;
  before(async () => {
    ({ train, test } = await loadMnist());
  });

  it("loads all 10,000 digits as 9,003 train and 997 held-out examples: columns images (float32 [784]) and labels (uint8), info of 10 classes of 28×28", () => {
    assert.equal(train.count, 9003);
    assert.equal(test.count, 997);
    for (const [d, name] of [
      [train, "mnist/train"],
      [test, "mnist/test"],
    ] as const) {
      assert.equal(d.name, name);
      assert.deepEqual(Object.keys(d.columns), ["images", "labels"]);
      assert.deepEqual([d.columns["images"]!.dtype, d.columns["images"]!.shape], ["float32", [PIXELS]]);
      assert.deepEqual([d.columns["labels"]!.dtype, d.columns["labels"]!.shape], ["uint8", []]);
      assert.deepEqual(d.info, { classes: 10, imageShape: [28, 28], source: MNIST_SOURCE, fingerprint: MNIST_FINGERPRINT });
      assert.equal(images(d).length, d.count * PIXELS);
      assert.equal(labels(d).length, d.count);
      assert.equal(d.rows, undefined);
    }
  });

  it("holds out the last ⌊n/10⌋ images of each digit, keeping labels balanced", () => {
    for (let digit = 0; digit < 10; digit++) {
      const n = MNIST_DIGIT_COUNTS[digit]!;
      const inTrain = labels(train).filter((l) => l === digit).length;
      const inTest = labels(test).filter((l) => l === digit).length;
      assert.equal(inTest, Math.floor(n / 10), `digit ${digit} held out`);
      assert.equal(inTrain, n - Math.floor(n / 10), `digit ${digit} train`);
      assert.ok(inTrain / train.count > 0.08 && inTrain / train.count < 0.13, `digit ${digit} is ${inTrain / train.count} of train`);
    }
  });

  it("holds each digit file's images, in file order, as float32: train first, then the held-out tail", async () => {
    // Read the package's files directly, independently of the loader.
    let trainRow = 0,
      testRow = 0;
    for (let digit = 0; digit < 10; digit++) {
      const data = (JSON.parse(await readFile(join(mnistDigitsDir(), `${digit}.json`), "utf8")) as { data: number[] }).data;
      const n = data.length / PIXELS;
      const keep = n - Math.floor(n / 10);
      for (let i = 0; i < n; i++) {
        const [set, r] = i < keep ? [train, trainRow++] : [test, testRow++];
        assert.equal(labels(set)[r], digit);
        const expected = Float32Array.from(data.slice(i * PIXELS, (i + 1) * PIXELS));
        assert.deepEqual(row(set, r), expected, `digit ${digit} image ${i}`);
      }
    }
    assert.equal(trainRow, train.count);
    assert.equal(testRow, test.count);
  });

  it("has pixels in [0, 1] with real ink: no blank image, mean intensity about 0.13", () => {
    for (const d of [train, test]) {
      let sum = 0;
      for (let i = 0; i < d.count; i++) {
        const r = row(d, i);
        let ink = 0;
        for (const v of r) {
          assert.ok(v >= 0 && v <= 1, `pixel ${v} in ${d.name} image ${i}`);
          ink += v;
        }
        assert.ok(ink > 10, `${d.name} image ${i} is (nearly) blank`);
        sum += ink;
      }
      const mean = sum / (d.count * PIXELS);
      assert.ok(mean > 0.1 && mean < 0.17, `${d.name} mean ${mean}`);
    }
  });

  it("has no image in both train and test, and no duplicate within either", () => {
    const seen = new Set<string>();
    for (let i = 0; i < train.count; i++) seen.add(rowKey(train, i));
    assert.equal(seen.size, train.count);
    for (let i = 0; i < test.count; i++) {
      const k = rowKey(test, i);
      assert.ok(!seen.has(k), `held-out image ${i} (label ${labels(test)[i]}) is also a training image`);
      seen.add(k);
    }
    assert.equal(seen.size, train.count + test.count);
  });

  it(`gives the same split on every load: fingerprint ${MNIST_FINGERPRINT}, which numpy computed independently`, async () => {
    assert.equal(mnistFingerprint({ train, test }), MNIST_FINGERPRINT);
    const again = await loadMnist();
    assert.deepEqual(images(again.train), images(train));
    assert.deepEqual(labels(again.test), labels(test));
  });

  it("gives every caller its own arrays: modifying one load leaves the next unchanged", async () => {
    const a = await loadMnist();
    images(a.train).fill(0.5);
    labels(a.train).fill(3);
    const b = await loadMnist();
    assert.deepEqual(images(b.train), images(train));
    assert.deepEqual(labels(b.train), labels(train));
  });

  describe("refuses digits it was not defined on (NbresumeError MNIST_INVALID, naming the file)", () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), "nbresume-mnist-"));
      for (let d = 0; d < 10; d++) {
        if (d !== 3) await symlink(join(mnistDigitsDir(), `${d}.json`), join(dir, `${d}.json`));
      }
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    async function original3(): Promise<number[]> {
      return (JSON.parse(await readFile(join(mnistDigitsDir(), "3.json"), "utf8")) as { data: number[] }).data;
    }

    async function expectInvalid(where: string, problem: RegExp | string): Promise<void> {
      await assert.rejects(loadMnist({ digitsDir: dir }), (e: unknown) => {
        assert.ok(isNbresumeError(e, DataErrorCode.MNIST_INVALID), String(e));
        assert.equal(e.where, where);
        if (typeof problem === "string") assert.equal(e.message, msg.mnistInvalid(where, problem));
        else assert.match(e.message, problem);
        return true;
      });
    }

    it("when a file is missing", async () => {
      await expectInvalid(join(dir, "3.json"), /3\.json are not usable: cannot be read \(ENOENT/);
    });

    it("when a file is truncated JSON", async () => {
      await writeFile(join(dir, "3.json"), (await readFile(join(mnistDigitsDir(), "3.json"), "utf8")).slice(0, 5000));
      await expectInvalid(join(dir, "3.json"), /not valid JSON/);
    });

    it("when a file has no data array", async () => {
      await writeFile(join(dir, "3.json"), JSON.stringify({ pixels: [] }));
      await expectInvalid(join(dir, "3.json"), 'it has no "data" array');
    });

    it("when a digit has a different number of images", async () => {
      await writeFile(join(dir, "3.json"), JSON.stringify({ data: (await original3()).slice(PIXELS) }));
      await expectInvalid(join(dir, "3.json"), `it holds ${1031 * PIXELS} values, expected ${1032 * PIXELS} (1032 images of 784 pixels)`);
    });

    it("when a pixel is outside [0, 1]", async () => {
      const data = await original3();
      data[100] = 1.5;
      await writeFile(join(dir, "3.json"), JSON.stringify({ data }));
      await expectInvalid(join(dir, "3.json"), "value 100 is 1.5, not a number in [0, 1]");
    });

    it("when one pixel differs from the digits the split was defined on", async () => {
      const data = await original3();
      data[500] = data[500] === 0 ? 0.5 : 0;
      await writeFile(join(dir, "3.json"), JSON.stringify({ data }));
      await expectInvalid(dir, /the digits' fingerprint is [0-9a-f]{8}, expected 7c57ecc5/);
    });

    it("and loads the same split from a copy of the real files", async () => {
      await symlink(join(mnistDigitsDir(), "3.json"), join(dir, "3.json"));
      const copy = await loadMnist({ digitsDir: dir });
      assert.equal(mnistFingerprint(copy), MNIST_FINGERPRINT);
    });
  });
});

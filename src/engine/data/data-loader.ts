/**
 * Batches from an in-memory Dataset, in a seeded order per epoch, with a cursor that resumes
 * exactly at the next batch.
 *
 * Epoch e's order is the identity 0..N−1 shuffled by `generator.fork(\`epoch:${e}\`)` (see
 * ../random/generator.ts): it depends on the generator's key and e only, so resuming at epoch
 * 1000 computes one permutation and replays nothing, and drawing noise from the same root
 * generator never changes the data order. The loader itself holds no random state; its cursor
 * is (epoch, position) plus what identifies the loader.
 */
import { NbresumeError } from "../../errors.js";
import type { Generator } from "../random/generator.js";
import type { Batch, DataLoaderCursor, DataLoaderOptions } from "./batch.js";
import { parseCursor } from "./cursor.js";
import type { Dataset } from "./dataset.js";
import {
  badBatchSize, badDataset, cursorInvalid, cursorMismatch, DataErrorCode, emptyEpoch, missingGenerator,
} from "./messages.js";

export class DataLoader {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly batchesPerEpoch: number;
  readonly #generator: Generator | undefined;
  readonly #features: number;
  readonly #labels: BigInt64Array;
  readonly #reuse: boolean;
  #epoch = 0;
  #position = 0;
  #order: Int32Array | undefined;
  #orderEpoch = -1;
  #buffers: { images: Float32Array; labels: BigInt64Array; indices: Int32Array } | undefined;

  constructor(dataset: Dataset, options: DataLoaderOptions) {
    const { batchSize, shuffle = true, dropLast = true, generator, reuseBuffers = false } = options;
    if (typeof batchSize !== "number" || !Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new RangeError(badBatchSize(batchSize));
    }
    const [height, width] = dataset.shape;
    const features = height * width;
    if (!Number.isSafeInteger(dataset.count) || dataset.count < 1) {
      throw new RangeError(badDataset(dataset.name, `count is ${dataset.count}, expected a positive integer`));
    }
    if (dataset.images.length !== dataset.count * features) {
      throw new RangeError(badDataset(dataset.name, `images has ${dataset.images.length} values, expected count × ${height} × ${width} = ${dataset.count * features}`));
    }
    if (dataset.labels.length !== dataset.count) {
      throw new RangeError(badDataset(dataset.name, `labels has ${dataset.labels.length} entries, expected count = ${dataset.count}`));
    }
    if (shuffle && generator === undefined) throw new TypeError(missingGenerator());
    const batches = dropLast ? Math.floor(dataset.count / batchSize) : Math.ceil(dataset.count / batchSize);
    if (batches === 0) throw new RangeError(emptyEpoch(batchSize, dataset.count, dataset.name));

    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.batchesPerEpoch = batches;
    this.#generator = shuffle ? generator : undefined;
    this.#features = features;
    this.#reuse = reuseBuffers;
    // BigInt conversion once, not per batch.
    this.#labels = BigInt64Array.from(dataset.labels, (l) => BigInt(l));
  }

  /** A loader for `dataset` and `options` that continues exactly where `cursor` (from cursor()) left off. */
  static fromCursor(dataset: Dataset, options: DataLoaderOptions, cursor: unknown): DataLoader {
    const loader = new DataLoader(dataset, options);
    loader.restore(cursor);
    return loader;
  }

  /** The epoch of the next batch. */
  get epoch(): number {
    return this.#epoch;
  }

  /** The index within its epoch of the next batch. */
  get position(): number {
    return this.#position;
  }

  /** The dataset rows of epoch `epoch`, in the order the loader serves them (a fresh copy). */
  epochOrder(epoch: number): Int32Array {
    return this.#orderFor(epoch).slice();
  }

  next(): Batch {
    const epoch = this.#epoch;
    const position = this.#position;
    const order = this.#orderFor(epoch);
    const start = position * this.batchSize;
    const size = Math.min(this.batchSize, this.dataset.count - start);
    const { images, labels, indices } = this.#arrays(size);
    const f = this.#features;
    const source = this.dataset.images;
    for (let r = 0; r < size; r++) {
      const row = order[start + r]!;
      images.set(source.subarray(row * f, row * f + f), r * f);
      labels[r] = this.#labels[row]!;
      indices[r] = row;
    }
    const epochEnded = position + 1 === this.batchesPerEpoch;
    this.#epoch = epochEnded ? epoch + 1 : epoch;
    this.#position = epochEnded ? 0 : position + 1;
    return { images, labels, indices, size, epoch, position, epochEnded };
  }

  cursor(): DataLoaderCursor {
    return {
      version: 1,
      epoch: this.#epoch,
      position: this.#position,
      dataset: this.dataset.name,
      count: this.dataset.count,
      batchSize: this.batchSize,
      shuffle: this.shuffle,
      dropLast: this.dropLast,
      generatorKey: this.#generator?.key ?? null,
    };
  }

  /**
   * Continues at `cursor` (from cursor(), typically read back from a checkpoint). Throws
   * NbresumeError DATA_CURSOR_INVALID for a malformed cursor and DATA_CURSOR_MISMATCH for one
   * saved by a loader with another dataset, batch size, shuffle/dropLast or seed.
   */
  restore(cursor: unknown): void {
    const c = parseCursor(cursor);
    const own = this.cursor();
    const differences: string[] = [];
    if (c.dataset !== own.dataset || c.count !== own.count) {
      differences.push(`dataset: saved ${c.dataset} with ${c.count} examples, this loader ${own.dataset} with ${own.count}`);
    }
    if (c.batchSize !== own.batchSize) differences.push(`batch size: saved ${c.batchSize}, this loader ${own.batchSize}`);
    if (c.shuffle !== own.shuffle) differences.push(`shuffle: saved ${c.shuffle}, this loader ${own.shuffle}`);
    if (c.dropLast !== own.dropLast) differences.push(`dropLast: saved ${c.dropLast}, this loader ${own.dropLast}`);
    if (c.shuffle && own.shuffle && c.generatorKey !== own.generatorKey) {
      differences.push(`seed: saved generator key ${c.generatorKey}, this loader's ${own.generatorKey}`);
    }
    if (differences.length > 0) {
      throw new NbresumeError(DataErrorCode.CURSOR_MISMATCH, cursorMismatch(differences), { where: "cursor" });
    }
    if (c.position >= this.batchesPerEpoch) {
      throw new NbresumeError(
        DataErrorCode.CURSOR_INVALID,
        cursorInvalid("position", `below batchesPerEpoch (${this.batchesPerEpoch})`, c.position),
        { where: "position" },
      );
    }
    this.#epoch = c.epoch;
    this.#position = c.position;
  }

  #orderFor(epoch: number): Int32Array {
    if (this.#order !== undefined && (!this.shuffle || this.#orderEpoch === epoch)) return this.#order;
    const order = this.#order ?? new Int32Array(this.dataset.count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    this.#generator?.fork(`epoch:${epoch}`).shuffle(order);
    this.#order = order;
    this.#orderEpoch = epoch;
    return order;
  }

  #arrays(size: number): { images: Float32Array; labels: BigInt64Array; indices: Int32Array } {
    const f = this.#features;
    if (!this.#reuse) {
      return { images: new Float32Array(size * f), labels: new BigInt64Array(size), indices: new Int32Array(size) };
    }
    this.#buffers ??= {
      images: new Float32Array(this.batchSize * f),
      labels: new BigInt64Array(this.batchSize),
      indices: new Int32Array(this.batchSize),
    };
    const b = this.#buffers;
    if (size === this.batchSize) return b;
    return { images: b.images.subarray(0, size * f), labels: b.labels.subarray(0, size), indices: b.indices.subarray(0, size) };
  }
}

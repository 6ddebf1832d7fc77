/**
 * Batches from an in-memory Dataset, in a seeded order per epoch, with a cursor that resumes
 * exactly at the next batch. A batch holds one tensor per column, [size, ...column shape], made of
 * row copies in the column's dtype.
 *
 * Epoch e's order is the identity 0..N−1 shuffled by `generator.fork(\`epoch:${e}\`)` (see
 * ../random/generator.ts): it depends on the generator's key and e only, so resuming at epoch
 * 1000 computes one permutation and replays nothing, and drawing noise from the same root
 * generator never changes the data order. The loader itself holds no random state; its cursor
 * is (epoch, position) plus what identifies the loader.
 */
import { NbresumeError } from "../../errors.js";
import { allocate, type Tensor, type TensorData } from "../../tensor.js";
import type { Generator } from "../random/generator.js";
import type { Batch, DataLoaderCursor, DataLoaderOptions } from "./batch.js";
import { checkDataset, rowLength } from "./check-dataset.js";
import { parseCursor } from "./cursor.js";
import { setOwn } from "../../shared/own-record.js";
import type { ColumnDType, Dataset } from "./dataset.js";
import { DataErrorCode, dataMessages as msg } from "./messages.js";

/** What the loader keeps per column: where rows come from and how long one is. */
interface ColumnPlan {
  readonly name: string;
  readonly dtype: ColumnDType;
  readonly shape: readonly number[];
  readonly source: TensorData;
  readonly per: number;
}

export class DataLoader {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly batchesPerEpoch: number;
  readonly #generator: Generator | undefined;
  readonly #columns: readonly ColumnPlan[];
  readonly #reuse: boolean;
  #epoch = 0;
  #position = 0;
  #order: Int32Array | undefined;
  #orderEpoch = -1;
  #buffers: { columns: TensorData[]; indices: Int32Array } | undefined;

  /**
   * Throws RangeError for a batch size that is not a positive integer, a dataset whose columns are
   * inconsistent (naming the column), or a batch that leaves every epoch empty; TypeError for
   * shuffle without a generator.
   */
  constructor(dataset: Dataset, options: DataLoaderOptions) {
    const { batchSize, shuffle = true, dropLast = true, generator, reuseBuffers = false } = options;
    if (typeof batchSize !== "number" || !Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new RangeError(msg.badBatchSize(batchSize));
    }
    checkDataset("DataLoader", dataset);
    if (shuffle && generator === undefined) throw new TypeError(msg.missingGenerator());
    const batches = dropLast ? Math.floor(dataset.count / batchSize) : Math.ceil(dataset.count / batchSize);
    if (batches === 0) throw new RangeError(msg.emptyEpoch(batchSize, dataset.count, dataset.name));

    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.batchesPerEpoch = batches;
    this.#generator = shuffle ? generator : undefined;
    this.#reuse = reuseBuffers;
    // Captured now: a later change to dataset.columns cannot make a batch read out of bounds.
    this.#columns = Object.entries(dataset.columns).map(([name, c]) => ({
      name,
      dtype: c.dtype,
      shape: [...c.shape],
      source: c.data,
      per: rowLength(c.shape),
    }));
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
    const { columns: arrays, indices } = this.#arrays(size);
    for (let r = 0; r < size; r++) indices[r] = order[start + r]!;
    const columns: Record<string, Tensor> = {};
    this.#columns.forEach((plan, k) => {
      const out = arrays[k]!;
      copyRows(plan.source, out, indices, plan.per);
      setOwn(columns, plan.name, { dtype: plan.dtype, shape: [size, ...plan.shape], data: out });
    });
    const epochEnded = position + 1 === this.batchesPerEpoch;
    this.#epoch = epochEnded ? epoch + 1 : epoch;
    this.#position = epochEnded ? 0 : position + 1;
    return { columns, indices, size, epoch, position, epochEnded };
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
      throw new NbresumeError(DataErrorCode.CURSOR_MISMATCH, msg.cursorMismatch(differences), { where: "cursor" });
    }
    if (c.position >= this.batchesPerEpoch) {
      throw new NbresumeError(DataErrorCode.CURSOR_INVALID, msg.cursorInvalid("position", `below batchesPerEpoch (${this.batchesPerEpoch})`, c.position), {
        where: "position",
      });
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

  #arrays(size: number): { columns: TensorData[]; indices: Int32Array } {
    if (!this.#reuse) {
      return { columns: this.#columns.map((c) => allocate(c.dtype, size * c.per)), indices: new Int32Array(size) };
    }
    this.#buffers ??= {
      columns: this.#columns.map((c) => allocate(c.dtype, this.batchSize * c.per)),
      indices: new Int32Array(this.batchSize),
    };
    const b = this.#buffers;
    if (size === this.batchSize) return b;
    return { columns: b.columns.map((a, k) => a.subarray(0, size * this.#columns[k]!.per)), indices: b.indices.subarray(0, size) };
  }
}

/** Copies rows `rows` of `source` (each `per` values) into `out`, in order. */
function copyRows(source: TensorData, out: TensorData, rows: Int32Array, per: number): void {
  const n = rows.length;
  if (per === 1) {
    // Labels and other scalars: element copies, no subarray per row.
    const from = source as unknown as { [i: number]: number | bigint };
    const to = out as unknown as { [i: number]: number | bigint };
    for (let r = 0; r < n; r++) to[r] = from[rows[r]!]!;
    return;
  }
  for (let r = 0; r < n; r++) {
    const at = rows[r]! * per;
    (out as Float32Array).set((source as Float32Array).subarray(at, at + per), r * per);
  }
}

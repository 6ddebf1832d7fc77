/** A ByteSink that keeps every chunk it is given, by reference, so tests can check they are views. */
import type { ByteSink } from "../../../src/checkpoint/safetensors/safetensors.js";

/** Keeps every chunk it is given (by reference), so tests can check they are views. */
export class CollectingSink implements ByteSink {
  readonly chunks: Uint8Array[] = [];

  write(chunk: Uint8Array): Promise<void> {
    this.chunks.push(chunk);
    return Promise.resolve();
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}

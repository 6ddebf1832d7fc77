/**
 * A new file written sequentially, hashed and counted on the way (no second read), buffered so
 * a stream of small tensors becomes a few large writes, then fsync'd and closed.
 */
import { type DurableFs, type FileHandleLike, CREATE_EXCLUSIVE, writeFully } from "./durable-fs.js";
import { type StreamingHash, createHash } from "./hash.js";
import type { ByteSink } from "./safetensors/safetensors.js";

/** Chunks at least this large go straight to the file; smaller ones are gathered first. */
const DIRECT_WRITE_BYTES = 1024 * 1024;
const BUFFER_BYTES = 4 * 1024 * 1024;

export interface WrittenFile {
  bytes: number;
  hash: string;
}

export class HashingFileWriter implements ByteSink {
  private readonly hash: StreamingHash = createHash();
  private position = 0;
  private buffer: Uint8Array | undefined;
  private buffered = 0;
  private closed = false;

  private constructor(private readonly handle: FileHandleLike, readonly file: string) {}

  /** Create `file`, which must not exist. */
  static async create(fs: DurableFs, file: string): Promise<HashingFileWriter> {
    return new HashingFileWriter(await fs.open(file, CREATE_EXCLUSIVE, 0o644), file);
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.byteLength === 0) return;
    this.hash.update(chunk);
    if (chunk.byteLength >= DIRECT_WRITE_BYTES) {
      await this.flush();
      await writeFully(this.handle, chunk, this.position);
      this.position += chunk.byteLength;
      return;
    }
    if (this.buffered + chunk.byteLength > BUFFER_BYTES) await this.flush();
    this.buffer ??= new Uint8Array(BUFFER_BYTES);
    this.buffer.set(chunk, this.buffered);
    this.buffered += chunk.byteLength;
  }

  private async flush(): Promise<void> {
    if (this.buffer === undefined || this.buffered === 0) return;
    await writeFully(this.handle, this.buffer.subarray(0, this.buffered), this.position);
    this.position += this.buffered;
    this.buffered = 0;
  }

  /** Flush, fsync, close; the file's size and hash. */
  async finish(): Promise<WrittenFile> {
    await this.flush();
    await this.handle.sync();
    this.closed = true;
    await this.handle.close();
    return { bytes: this.position, hash: this.hash.digest() };
  }

  /** Close after a failure (the caller removes the temp directory). */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close().catch(() => undefined);
  }
}

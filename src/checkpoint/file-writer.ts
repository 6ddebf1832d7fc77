/**
 * A new file written sequentially, hashed and counted on the way (no second read), buffered so
 * a stream of small tensors becomes a few large writes, then fsync'd and closed.
 *
 * One write is kept in flight: write() hashes its chunk on the main thread while the previous
 * chunk's write runs in the libuv pool, and returns once that previous write is done. Hashing
 * 256 MiB takes ~13 ms here; overlapped, it no longer adds to the save (bench/checkpoint.bench.ts).
 * Chunks must stay unchanged until end() — they are the caller's tensors, which save()
 * already requires to stay unchanged until it resolves.
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

export interface EndedFile extends WrittenFile {
  /** Settles when the file is fsync'd and closed; rejects if either fails. */
  durable: Promise<void>;
}

export class HashingFileWriter implements ByteSink {
  private readonly hash: StreamingHash = createHash();
  /** Bytes handed to the file so far (written or in flight). */
  private position = 0;
  /** Two gathering buffers: one may be in flight while the other fills. */
  private buffers: Uint8Array[] = [];
  private current = 0;
  private buffered = 0;
  private inFlight: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly handle: FileHandleLike,
    readonly file: string,
  ) {}

  /** Create `file`, which must not exist. */
  static async create(fs: DurableFs, file: string): Promise<HashingFileWriter> {
    return new HashingFileWriter(await fs.open(file, CREATE_EXCLUSIVE, 0o644), file);
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.byteLength === 0) return;
    this.hash.update(chunk);
    if (chunk.byteLength >= DIRECT_WRITE_BYTES) {
      await this.flush();
      await this.start(chunk);
      return;
    }
    if (this.buffered + chunk.byteLength > BUFFER_BYTES) await this.flush();
    const buffer = (this.buffers[this.current] ??= new Uint8Array(BUFFER_BYTES));
    buffer.set(chunk, this.buffered);
    this.buffered += chunk.byteLength;
  }

  /** Wait for the write in flight, then start writing `bytes` (left in flight). */
  private async start(bytes: Uint8Array): Promise<void> {
    await this.inFlight;
    const at = this.position;
    this.position += bytes.byteLength;
    const write = writeFully(this.handle, bytes, at);
    write.catch(() => undefined); // reported by the next await of inFlight, not as unhandled
    this.inFlight = write;
  }

  private async flush(): Promise<void> {
    if (this.buffered === 0) return;
    const buffer = this.buffers[this.current] as Uint8Array;
    const length = this.buffered;
    this.current = 1 - this.current;
    this.buffered = 0;
    await this.start(buffer.subarray(0, length));
  }

  /**
   * Flush and wait for the last write; fsync and close start now but are not awaited, so the
   * next file can be written while this one's writeback runs (await `durable` before relying on it).
   */
  async end(): Promise<EndedFile> {
    await this.flush();
    await this.inFlight;
    this.closed = true;
    const durable = this.handle.sync().then(
      () => this.handle.close(),
      async (error: unknown) => {
        await this.handle.close().catch(() => undefined);
        throw error;
      },
    );
    durable.catch(() => undefined); // the caller awaits it; never an unhandled rejection
    return { bytes: this.position, hash: this.hash.digest(), durable };
  }

  /** Close after a failure (the caller removes the temp directory). */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.inFlight?.catch(() => undefined);
    await this.handle.close().catch(() => undefined);
  }
}

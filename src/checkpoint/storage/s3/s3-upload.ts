/**
 * Writing a checkpoint to object storage. Each file is streamed tensor by tensor into parts of a
 * multipart upload (a file smaller than one part is one PUT), hashed on the way; at most
 * `partConcurrency` parts are in flight for the whole checkpoint and each part buffer is reused,
 * so memory stays at (partConcurrency + 1) × partBytes whatever the checkpoint's size. Every
 * request is retried with backoff (s3-retry.ts). The manifest is written last: the checkpoint
 * exists from that PUT on, and not before. A failed file's multipart upload is aborted; objects of
 * a checkpoint that never got its manifest are never listed and go on the next writable open.
 */
import { createHash, type StreamingHash } from "../../hash.js";
import { MANIFEST_FILE } from "../../naming.js";
import type { EndedFile, FileSink, StagedCheckpoint } from "../storage.js";
import { type RetryPolicy, brief, withRetries } from "./s3-retry.js";
import { type S3Api, isNotImplemented } from "./s3-sdk.js";

export interface UploadSettings extends RetryPolicy {
  partBytes: number;
  partConcurrency: number;
}

/** Part buffers shared by a checkpoint's files: a part waits for a free buffer (bounded memory). */
export class PartPool {
  private readonly free: Uint8Array[] = [];
  private made = 0;
  private readonly waiting: ((buffer: Uint8Array) => void)[] = [];

  constructor(
    private readonly partBytes: number,
    private readonly limit: number,
  ) {}

  async take(): Promise<Uint8Array> {
    const buffer = this.free.pop();
    if (buffer !== undefined) return buffer;
    if (this.made < this.limit) {
      this.made++;
      return new Uint8Array(this.partBytes);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  give(buffer: Uint8Array): void {
    const next = this.waiting.shift();
    if (next) next(buffer);
    else this.free.push(buffer);
  }
}

/** Aborted uploads this process could not abort (the server refused): for messages and tests. */
export interface UploadLog {
  aborted: number;
  abortFailed: number;
}

/** One file of the checkpoint, as a multipart upload (or one PUT). */
export class S3FileSink implements FileSink {
  private readonly hash: StreamingHash = createHash();
  private bytes = 0;
  private part: Uint8Array | undefined;
  private fill = 0;
  private uploadId: string | undefined;
  private partNumber = 0;
  private readonly parts: { partNumber: number; etag: string }[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined; // boxed: anything can be thrown, even undefined
  private completed = false;
  private ended = false;

  constructor(
    private readonly api: S3Api,
    private readonly settings: UploadSettings,
    private readonly pool: PartPool,
    readonly key: string,
    readonly url: string,
    private readonly log: UploadLog,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw this.failure.error;
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
    let at = 0;
    while (at < chunk.byteLength) {
      this.part ??= await this.pool.take();
      const take = Math.min(chunk.byteLength - at, this.part.byteLength - this.fill);
      this.part.set(chunk.subarray(at, at + take), this.fill);
      this.fill += take;
      at += take;
      if (this.fill === this.part.byteLength) await this.sendPart();
    }
  }

  /** Start uploading the full part buffer; waits while the in-flight limit is reached. */
  private async sendPart(): Promise<void> {
    const buffer = this.part!;
    const length = this.fill;
    this.part = undefined;
    this.fill = 0;
    if (this.uploadId === undefined) {
      this.uploadId = await withRetries(this.settings, "starting the upload of", this.url, () => this.api.createMultipart(this.key));
    }
    const uploadId = this.uploadId;
    const partNumber = ++this.partNumber;
    while (this.inFlight.size >= this.settings.partConcurrency) await Promise.race(this.inFlight);
    if (this.failure !== undefined) {
      this.pool.give(buffer);
      throw this.failure.error;
    }
    const upload = withRetries(this.settings, `uploading part ${partNumber} of`, this.url, () =>
      this.api.uploadPart(this.key, uploadId, partNumber, buffer.subarray(0, length)),
    )
      .then(
        (etag) => {
          this.parts.push({ partNumber, etag });
        },
        (error: unknown) => {
          this.failure ??= { error };
        },
      )
      .finally(() => {
        this.pool.give(buffer);
        this.inFlight.delete(upload);
      });
    this.inFlight.add(upload);
  }

  async end(): Promise<EndedFile> {
    this.ended = true;
    if (this.failure !== undefined) throw this.failure.error;
    const hash = this.hash.digest();
    const bytes = this.bytes;
    let durable: Promise<void>;
    if (this.uploadId === undefined) {
      // Smaller than one part: one PUT (its buffer is copied out, so it goes back to the pool now).
      const body = this.part === undefined ? new Uint8Array(0) : this.part.slice(0, this.fill);
      if (this.part !== undefined) this.pool.give(this.part);
      this.part = undefined;
      durable = withRetries(this.settings, "uploading", this.url, () => this.api.put(this.key, body)).then(() => {
        this.completed = true;
      });
    } else {
      if (this.fill > 0) await this.sendPart();
      else if (this.part !== undefined) {
        this.pool.give(this.part);
        this.part = undefined;
      }
      durable = this.finish();
    }
    durable.catch(() => undefined); // the caller awaits it; never an unhandled rejection
    return { bytes, hash, durable };
  }

  private async finish(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure.error;
    const uploadId = this.uploadId!;
    const parts = [...this.parts].sort((a, b) => a.partNumber - b.partNumber);
    let tried = false;
    await withRetries(this.settings, "completing the upload of", this.url, async () => {
      try {
        await this.api.completeMultipart(this.key, uploadId, parts);
      } catch (error) {
        // A try whose answer was lost completed it: the retry finds no such upload, and the object is there.
        if (tried && (error as { code?: unknown }).code === "NoSuchUpload" && (await this.api.head(this.key)) === this.bytes) return;
        tried = true;
        throw error;
      }
    });
    this.completed = true;
  }

  /** Release the part buffer after a failure while writing (end() hands it back itself). */
  async abort(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.failure ??= { error: new Error("aborted") };
    if (this.part !== undefined) this.pool.give(this.part);
    this.part = undefined;
  }

  /** Abort the multipart upload unless it completed (the staged checkpoint's abort). */
  async abortUpload(): Promise<void> {
    await this.abort();
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    if (this.completed || this.uploadId === undefined) return;
    const uploadId = this.uploadId;
    this.uploadId = undefined;
    try {
      await withRetries(brief(this.settings), "aborting the upload of", this.url, () => this.api.abortMultipart(this.key, uploadId));
      this.log.aborted++;
    } catch (error) {
      // Not implemented by some S3-compatible servers: the parts stay until a lifecycle rule removes them.
      this.log.abortFailed++;
      if (!isNotImplemented(error)) throw error;
    }
  }
}

/** A checkpoint being uploaded under `<prefix>/<name>/`: see the top of this file. */
export class S3StagedCheckpoint implements StagedCheckpoint {
  committed = false;
  current: string;
  private readonly sinks: S3FileSink[] = [];
  private readonly written: string[] = [];
  private readonly pool: PartPool;

  constructor(
    private readonly api: S3Api,
    private readonly settings: UploadSettings,
    /** The checkpoint's key prefix ("runs/x/ckpt-step-…") and URL. */
    private readonly key: string,
    private readonly url: string,
    private readonly replacing: boolean,
    private readonly log: UploadLog,
    /** Called after the commit and after an abort: the storage's listing is stale. */
    private readonly changed: () => void,
  ) {
    this.current = url;
    this.pool = new PartPool(settings.partBytes, settings.partConcurrency + 1);
  }

  async begin(): Promise<void> {
    this.current = this.url;
    // A damaged checkpoint of this name: out of the listing first (its manifest gone), then overwritten.
    if (this.replacing) await withRetries(this.settings, "replacing", this.url, () => this.api.deleteMany([`${this.key}/${MANIFEST_FILE}`]));
  }

  async createFile(file: string): Promise<FileSink> {
    this.current = `${this.url}/${file}`;
    const sink = new S3FileSink(this.api, this.settings, this.pool, `${this.key}/${file}`, this.current, this.log);
    this.sinks.push(sink);
    this.written.push(sink.key);
    return sink;
  }

  async writeFile(file: string, bytes: Uint8Array): Promise<void> {
    this.current = `${this.url}/${file}`;
    this.written.push(`${this.key}/${file}`);
    await withRetries(this.settings, "uploading", this.current, () => this.api.put(`${this.key}/${file}`, bytes));
  }

  async commit(manifest: Uint8Array, assertHeld: () => Promise<void>): Promise<void> {
    this.current = this.url;
    await assertHeld();
    this.current = `${this.url}/${MANIFEST_FILE}`;
    // The commit: the checkpoint exists once this PUT has succeeded (a retry writes the same bytes).
    try {
      await withRetries(this.settings, "committing", this.current, () => this.api.put(`${this.key}/${MANIFEST_FILE}`, manifest));
    } catch (error) {
      // The answer may have been lost after the PUT succeeded: take it out again so nothing half-known stays listed.
      await this.api.deleteMany([`${this.key}/${MANIFEST_FILE}`]).catch(() => undefined);
      throw error;
    }
    this.committed = true;
    this.changed();
  }

  async abort(): Promise<boolean> {
    let clean = true;
    for (const sink of this.sinks)
      await sink.abortUpload().catch(() => {
        clean = false;
      });
    try {
      const { failed } = await withRetries(brief(this.settings), "removing", this.url, () => this.api.deleteMany(this.written));
      if (failed.length > 0) clean = false;
    } catch {
      clean = false;
    }
    this.changed();
    return clean;
  }
}

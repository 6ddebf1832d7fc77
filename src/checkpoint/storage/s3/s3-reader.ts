/**
 * Reading objects: whole small ones (capped before and while reading: a server that lies about
 * the size is cut off at the cap), and large ones as an OpenedFile whose positioned reads are
 * served from one streamed GET while they go forward (the safetensors reader and the verifier read
 * in file order), with memory bounded by the caller's buffers. A connection that drops or a body
 * that ends early resumes with a ranged GET of the same version (If-Match) from the byte reached;
 * a read elsewhere starts a ranged GET there. The bytes are hashed by the store, never trusted here.
 */
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { FileTooLargeError } from "../../durable-fs.js";
import { NbresumeError } from "../../../errors.js";
import { CheckpointErrorCode, checkpointMessages as messages } from "../../messages.js";
import type { OpenedFile } from "../storage.js";
import { nextTryInMs, storageError, withRetries, type RetryPolicy } from "./s3-retry.js";
import { type S3Api, isNotFound, isPreconditionFailed, toRequestError } from "./s3-sdk.js";

/** A forward skip up to this many bytes is read and dropped instead of starting a new GET. */
const SKIP_BYTES = 1024 * 1024;

/** An error that reads as a missing file to the store (its `code` is ENOENT). */
export function missingObject(url: string, cause: unknown): Error {
  return Object.assign(new Error(`${url}: no such object`, { cause }), { code: "ENOENT" });
}

/** Pulls bytes from a response body in order. */
class BodyCursor {
  private iterator: AsyncIterator<Uint8Array>;
  private rest: Uint8Array | undefined;
  private done = false;

  constructor(private readonly body: Readable) {
    this.iterator = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  }

  /** Fill `into` as far as the body goes; fewer bytes only at its end. */
  async fill(into: Uint8Array): Promise<number> {
    let filled = 0;
    while (filled < into.byteLength) {
      let chunk = this.rest;
      this.rest = undefined;
      if (chunk === undefined) {
        if (this.done) break;
        const next = await this.iterator.next();
        if (next.done === true) {
          this.done = true;
          break;
        }
        chunk = next.value instanceof Uint8Array ? next.value : new Uint8Array(next.value);
      }
      const take = Math.min(chunk.byteLength, into.byteLength - filled);
      into.set(chunk.subarray(0, take), filled);
      filled += take;
      if (take < chunk.byteLength) this.rest = chunk.subarray(take);
    }
    return filled;
  }

  destroy(): void {
    this.body.destroy();
  }
}

/** A small object read whole; FileTooLargeError past `maxBytes`, ENOENT when missing. */
export async function readSmallObject(
  api: S3Api,
  policy: RetryPolicy,
  key: string,
  url: string,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; etag: string | undefined }> {
  return withRetries(policy, "reading", url, async () => {
    let object;
    try {
      object = await api.get(key);
    } catch (error) {
      if (isNotFound(error)) throw missingObject(url, error);
      throw error;
    }
    const cursor = new BodyCursor(object.body);
    try {
      if (object.size > maxBytes) throw new FileTooLargeError(url, object.size, maxBytes);
      const into = new Uint8Array(Math.min(object.size, maxBytes) + 1);
      const got = await cursor.fill(into);
      if (got > maxBytes) throw new FileTooLargeError(url, got, maxBytes);
      if (got !== object.size)
        throw toRequestError(
          Object.assign(new Error(`the body ended after ${got} of ${object.size} bytes`), { code: "ERR_STREAM_PREMATURE_CLOSE" }),
          `GET ${key}`,
        );
      return { bytes: into.subarray(0, got), etag: object.etag };
    } finally {
      cursor.destroy();
    }
  });
}

/** A large object opened for positioned reads (see the top of this file). */
export async function openObject(api: S3Api, policy: RetryPolicy, key: string, url: string): Promise<OpenedFile> {
  const first = await withRetries(policy, "reading", url, async () => {
    try {
      return await api.get(key);
    } catch (error) {
      if (isNotFound(error)) throw missingObject(url, error);
      throw error;
    }
  });
  return new StreamedObject(api, policy, key, url, first.body, first.size, first.etag);
}

class StreamedObject implements OpenedFile {
  readonly sparse = false;
  private cursor: BodyCursor | undefined;
  /** The object byte the cursor delivers next. */
  private at = 0;
  private closed = false;

  constructor(
    private readonly api: S3Api,
    private readonly policy: RetryPolicy,
    private readonly key: string,
    private readonly url: string,
    body: Readable,
    readonly size: number,
    private readonly etag: string | undefined,
  ) {
    this.cursor = new BodyCursor(body);
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    if (this.closed) throw new Error(`${this.url}: read after close`);
    const end = Math.min(position + length, this.size);
    if (position >= this.size || length <= 0) return { bytesRead: 0 };
    const into = buffer.subarray(offset, offset + (end - position));
    if (this.cursor !== undefined && position > this.at && position - this.at <= SKIP_BYTES) {
      const skip = new Uint8Array(position - this.at);
      await this.pull(skip);
    }
    if (this.cursor === undefined || position !== this.at) this.restart(position);
    await this.pull(into);
    return { bytesRead: into.byteLength };
  }

  /** Fill `into` from the cursor, resuming after a dropped connection or a short body. */
  private async pull(into: Uint8Array): Promise<void> {
    let filled = 0;
    let failures = 0;
    let firstFailureAt: number | undefined;
    while (filled < into.byteLength) {
      try {
        if (this.cursor === undefined) await this.reopen();
        const got = await this.cursor!.fill(into.subarray(filled));
        filled += got;
        this.at += got;
        if (filled < into.byteLength)
          throw toRequestError(
            Object.assign(new Error(`the body ended at byte ${this.at} of ${this.size}`), { code: "ERR_STREAM_PREMATURE_CLOSE" }),
            `GET ${this.key}`,
          );
      } catch (caught) {
        this.cursor?.destroy();
        this.cursor = undefined;
        const error = toRequestError(caught, `GET ${this.key}`);
        if (isPreconditionFailed(error) || isNotFound(error)) {
          throw new NbresumeError(CheckpointErrorCode.REMOTE_FAILED, messages.objectChanged(this.url), { where: this.url, cause: error });
        }
        failures++;
        firstFailureAt ??= Date.now();
        const wait = nextTryInMs(this.policy, error, failures, firstFailureAt);
        if (wait === undefined) throw storageError(error, "reading", this.url, failures, firstFailureAt);
        await sleep(wait);
      }
    }
  }

  private restart(position: number): void {
    this.cursor?.destroy();
    this.cursor = undefined;
    this.at = position;
  }

  /** A ranged GET of the same version from `this.at` to the end. */
  private async reopen(): Promise<void> {
    const object = await this.api.get(this.key, { range: [this.at, undefined], ...(this.etag === undefined ? {} : { ifMatch: this.etag }) });
    if (object.objectSize !== this.size) {
      object.body.destroy();
      throw new NbresumeError(CheckpointErrorCode.REMOTE_FAILED, messages.objectChanged(this.url), { where: this.url });
    }
    this.cursor = new BodyCursor(object.body);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cursor?.destroy();
    this.cursor = undefined;
  }
}

/**
 * Blobs beside the checkpoints on object storage: `<prefix>/<name>` or `<prefix>/<folder>/<name>`.
 * A PUT is atomic (readers see the old object or the new one) and durable once it returns.
 */
import { assertBlobName, isBlobFolder, isBlobName } from "../blob-names.js";
import type { BlobInfo, BlobStore } from "../storage.js";
import { readSmallObject } from "./s3-reader.js";
import { keyOf, type S3Location } from "./s3-location.js";
import { type RetryPolicy, withRetries } from "./s3-retry.js";
import type { S3Api } from "./s3-sdk.js";

export interface S3Listing {
  /** Every object under the location, relative keys (bounded: s3-storage.ts). */
  objects(): Promise<{ key: string; size: number }[]>;
}

export class S3Blobs implements BlobStore {
  readonly location: string;

  constructor(
    private readonly api: S3Api,
    private readonly policy: RetryPolicy,
    private readonly where: S3Location,
    private readonly listing: S3Listing,
    private readonly changed: () => void,
  ) {
    this.location = where.url;
  }

  locate(name: string): string {
    return `${this.where.url}/${name}`;
  }

  async put(name: string, bytes: Uint8Array): Promise<string> {
    assertBlobName(name);
    const url = this.locate(name);
    await withRetries(this.policy, "uploading", url, () => this.api.put(keyOf(this.where, name), bytes));
    this.changed();
    return url;
  }

  async get(name: string, maxBytes: number): Promise<Uint8Array> {
    assertBlobName(name);
    return (await readSmallObject(this.api, this.policy, keyOf(this.where, name), this.locate(name), maxBytes)).bytes;
  }

  async list(folder?: string): Promise<BlobInfo[]> {
    if (folder !== undefined && !isBlobFolder(folder)) throw new TypeError(`blob folder ${JSON.stringify(folder)} is not allowed.`);
    const out: BlobInfo[] = [];
    for (const { key, size } of await this.listing.objects()) {
      const parts = key.split("/");
      const inFolder = folder === undefined ? parts.length === 1 : parts.length === 2 && parts[0] === folder;
      if (inFolder && isBlobName(key)) out.push({ name: key, bytes: size });
    }
    return out;
  }

  async delete(name: string): Promise<void> {
    assertBlobName(name);
    const url = this.locate(name);
    await withRetries(this.policy, "deleting", url, () => this.api.deleteMany([keyOf(this.where, name)]));
    this.changed();
  }
}

/**
 * The one file that imports @aws-sdk/client-s3: the S3 operations the storage uses, as plain
 * functions over plain data, each failure turned into an S3RequestError that says whether trying
 * again may help. Nothing else in nbresume depends on the SDK's types, and the SDK loads only when
 * an s3:// location is opened (a dynamic import of the package itself: a dynamic import of a
 * module of ours would, under a CommonJS loader such as the tests', load a second copy of our
 * error classes, and `instanceof` would fail across the two).
 *
 * The client makes one attempt per call (s3-retry.ts retries, with backoff, and knows which
 * failures are worth it), signs requests as AWS tools do (credentials from the environment, the
 * profile, SSO, the instance role: the SDK's default chain), and sends no flexible checksums:
 * every byte is hashed end to end by the store (xxh64 in each manifest), and several
 * S3-compatible services reject or mis-store aws-chunked bodies.
 */
import type { Readable } from "node:stream";
import { checkpointMessages } from "../../messages.js";
import type { S3ClientSettings } from "./s3-config.js";

/** A request that failed: the S3 error code (or the network error's), the HTTP status, and whether to try again. */
export class S3RequestError extends Error {
  override readonly name = "S3RequestError";
  constructor(
    message: string,
    /** "NoSuchKey", "SlowDown", "ECONNRESET", "TimeoutError", … */
    readonly code: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const THROTTLING = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "RequestLimitExceeded",
  "TooManyRequests",
  "RequestThrottled",
  "RequestTimeout",
  "InternalError",
  "ServiceUnavailable",
]);
const NETWORK = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ERR_STREAM_PREMATURE_CLOSE",
  "TimeoutError",
  "RequestTimeout",
  "NetworkingError",
]);

/** Any failure of an SDK call (or of reading a response body) as an S3RequestError. */
export function toRequestError(error: unknown, what: string): S3RequestError {
  if (error instanceof S3RequestError) return error;
  const e = error as { name?: unknown; Code?: unknown; code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  const code = typeof e?.Code === "string" ? e.Code : typeof e?.code === "string" ? e.code : typeof e?.name === "string" ? e.name : "Error";
  const given = typeof e?.message === "string" && e.message !== "" ? e.message : code;
  // A 403 to a HEAD request has no body: the SDK makes it "UnknownError" / "Unknown", which says nothing.
  const message = status === 403 && /^(Unknown(Error)?|403|Forbidden)$/.test(given) ? checkpointMessages.accessDenied() : given;
  // No HTTP status: the request or its response never completed (a dropped connection, a
  // truncated or garbled body): a transport fault, worth another try like a 5xx.
  // A 2xx with an error: the answer was cut short or garbled on the way (a truncated listing).
  const retryable =
    status === undefined
      ? !(error instanceof TypeError || error instanceof RangeError) || NETWORK.has(code)
      : status < 300 || (status >= 500 && status !== 501 && code !== "NotImplemented") || status === 429 || THROTTLING.has(code);
  const shown = message === checkpointMessages.accessDenied() ? "" : status === undefined ? "" : ` (HTTP ${status}, ${code})`;
  return new S3RequestError(`${what}: ${message}${shown}`, code, status, retryable, { cause: error });
}

export function isNotFound(error: unknown): boolean {
  return error instanceof S3RequestError && (error.status === 404 || error.code === "NoSuchKey" || error.code === "NotFound");
}

export function isPreconditionFailed(error: unknown): boolean {
  return error instanceof S3RequestError && (error.status === 412 || error.code === "PreconditionFailed");
}

/** The service does not implement the call (ListMultipartUploads and AbortMultipartUpload on some S3-compatible servers). */
export function isNotImplemented(error: unknown): boolean {
  return (
    error instanceof S3RequestError && (error.status === 501 || error.code === "NotImplemented" || error.code === "MethodNotAllowed" || error.status === 405)
  );
}

export interface ObjectHead {
  size: number;
  etag: string | undefined;
}

export interface ObjectBody extends ObjectHead {
  /** The response body (the whole object, or the range asked for). */
  body: Readable;
  /** The object's size (from Content-Range for a range). */
  objectSize: number;
}

export interface ListedObject {
  key: string;
  size: number;
}

/** The S3 calls the storage makes, one attempt each. */
export interface S3Api {
  readonly bucket: string;
  put(key: string, body: Uint8Array, conditions?: { ifNoneMatch?: "*"; ifMatch?: string }): Promise<{ etag: string | undefined }>;
  /** `range`: [first, last] bytes, inclusive; `ifMatch`: the object must still be this version. */
  get(key: string, options?: { range?: [number, number | undefined]; ifMatch?: string }): Promise<ObjectBody>;
  /**
   * One page of the keys under `prefix` after `startAfter`; `next` is the key to start the next page
   * after (the last one listed) while there are more. StartAfter rather than continuation tokens:
   * every S3-compatible service takes it, and it cannot be a token the service fails to read back.
   */
  listPage(prefix: string, startAfter: string | undefined): Promise<{ objects: ListedObject[]; next: string | undefined }>;
  deleteMany(keys: readonly string[]): Promise<{ failed: { key: string; message: string }[] }>;
  copy(fromKey: string, toKey: string): Promise<void>;
  createMultipart(key: string): Promise<string>;
  uploadPart(key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<string>;
  completeMultipart(key: string, uploadId: string, parts: readonly { partNumber: number; etag: string }[]): Promise<void>;
  /** The object's size, or undefined when there is none. */
  head(key: string): Promise<number | undefined>;
  abortMultipart(key: string, uploadId: string): Promise<void>;
  listMultipart(prefix: string): Promise<{ key: string; uploadId: string }[]>;
  headBucket(): Promise<void>;
  destroy(): void;
}

/** The client for `bucket` with these settings (s3-config.ts resolved them). */
export async function createS3Api(bucket: string, settings: S3ClientSettings): Promise<S3Api> {
  // The SDK's notice that its releases after January 2027 need Node 22: nothing a user of ours can act on (we support Node 20).
  process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";
  const {
    AbortMultipartUploadCommand,
    CompleteMultipartUploadCommand,
    CopyObjectCommand,
    CreateMultipartUploadCommand,
    DeleteObjectsCommand,
    GetObjectCommand,
    HeadBucketCommand,
    HeadObjectCommand,
    ListMultipartUploadsCommand,
    ListObjectsV2Command,
    PutObjectCommand,
    S3Client,
    UploadPartCommand,
  } = await import("@aws-sdk/client-s3");
  const base = {
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    forcePathStyle: settings.forcePathStyle,
    ...(settings.profile === undefined ? {} : { profile: settings.profile }),
    ...(settings.credentials === undefined ? {} : { credentials: settings.credentials }),
    maxAttempts: 1,
    followRegionRedirects: true,
    requestChecksumCalculation: "WHEN_REQUIRED" as const,
    responseChecksumValidation: "WHEN_REQUIRED" as const,
    requestHandler: {
      connectionTimeout: Math.min(settings.requestTimeoutMs, 10_000),
      socketTimeout: settings.requestTimeoutMs,
      httpAgent: { keepAlive: true, maxSockets: 16 },
      httpsAgent: { keepAlive: true, maxSockets: 16 },
    },
  };
  let client = new S3Client({ ...base, ...(settings.region === undefined ? {} : { region: settings.region }) });
  if (settings.region === undefined) {
    // The SDK finds the region in the environment or the profile; a service without regions
    // (MinIO, a local server) needs none, and AWS follows redirects to the bucket's own region.
    const found = await client.config.region().catch(() => undefined);
    if (found === undefined || found === "") {
      client.destroy();
      client = new S3Client({ ...base, region: "us-east-1" });
    }
  }
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw toRequestError(error, what);
    }
  };
  return {
    bucket,
    put: (key, body, conditions = {}) =>
      call(`PUT ${key}`, async () => {
        const out = await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentLength: body.byteLength,
            ...(conditions.ifNoneMatch === undefined ? {} : { IfNoneMatch: conditions.ifNoneMatch }),
            ...(conditions.ifMatch === undefined ? {} : { IfMatch: conditions.ifMatch }),
          }),
        );
        return { etag: out.ETag };
      }),
    get: (key, options = {}) =>
      call(`GET ${key}`, async () => {
        const range = options.range === undefined ? undefined : `bytes=${options.range[0]}-${options.range[1] ?? ""}`;
        const out = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key,
            ...(range === undefined ? {} : { Range: range }),
            ...(options.ifMatch === undefined ? {} : { IfMatch: options.ifMatch }),
          }),
        );
        const size = out.ContentLength ?? 0;
        const total = /\/(\d+)$/.exec(out.ContentRange ?? "")?.[1];
        return { body: out.Body as Readable, size, objectSize: total === undefined ? size : Number(total), etag: out.ETag };
      }),
    listPage: (prefix, startAfter) =>
      call(`LIST ${prefix}`, async () => {
        const out = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(startAfter === undefined ? {} : { StartAfter: startAfter }) }),
        );
        const objects = (out.Contents ?? []).map((o) => ({ key: o.Key as unknown as string, size: typeof o.Size === "number" ? o.Size : Number.NaN }));
        const last = objects.at(-1)?.key;
        // A page that does not move past where it started would list the same keys forever.
        const next = out.IsTruncated === true && typeof last === "string" && (startAfter === undefined || last > startAfter) ? last : undefined;
        return { objects, next };
      }),
    deleteMany: (keys) =>
      call(`DELETE ${keys.length} objects`, async () => {
        if (keys.length === 0) return { failed: [] };
        const out = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
        return { failed: (out.Errors ?? []).map((e) => ({ key: e.Key ?? "?", message: `${e.Code ?? "Error"}: ${e.Message ?? ""}` })) };
      }),
    copy: (fromKey, toKey) =>
      call(`COPY ${fromKey}`, async () => {
        await client.send(
          new CopyObjectCommand({ Bucket: bucket, Key: toKey, CopySource: `${bucket}/${fromKey.split("/").map(encodeURIComponent).join("/")}` }),
        );
      }),
    createMultipart: (key) =>
      call(`CREATE UPLOAD ${key}`, async () => {
        const out = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
        if (typeof out.UploadId !== "string") throw new S3RequestError(`CREATE UPLOAD ${key}: no upload id in the answer`, "BadResponse", undefined, true);
        return out.UploadId;
      }),
    uploadPart: (key, uploadId, partNumber, body) =>
      call(`UPLOAD PART ${partNumber} of ${key}`, async () => {
        const out = await client.send(
          new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.byteLength }),
        );
        if (typeof out.ETag !== "string")
          throw new S3RequestError(`UPLOAD PART ${partNumber} of ${key}: no ETag in the answer`, "BadResponse", undefined, true);
        return out.ETag;
      }),
    completeMultipart: (key, uploadId, parts) =>
      call(`COMPLETE UPLOAD ${key}`, async () => {
        await client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
          }),
        );
      }),
    head: (key) =>
      call(`HEAD ${key}`, async () => {
        try {
          const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
          return out.ContentLength ?? 0;
        } catch (error) {
          if (isNotFound(toRequestError(error, `HEAD ${key}`))) return undefined;
          throw error;
        }
      }),
    abortMultipart: (key, uploadId) =>
      call(`ABORT UPLOAD ${key}`, async () => {
        await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
      }),
    listMultipart: (prefix) =>
      call(`LIST UPLOADS ${prefix}`, async () => {
        const out = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
        return (out.Uploads ?? []).flatMap((u) => (typeof u.Key === "string" && typeof u.UploadId === "string" ? [{ key: u.Key, uploadId: u.UploadId }] : []));
      }),
    headBucket: () =>
      call(`HEAD bucket ${bucket}`, async () => {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      }),
    destroy: () => client.destroy(),
  };
}

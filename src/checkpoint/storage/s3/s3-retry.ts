/**
 * Trying S3 requests again: throttling (503 SlowDown, 429), server errors (5xx), dropped or
 * stalled connections and garbled answers are retried with exponential backoff and full jitter
 * (the first retry after up to retryBaseMs, doubling, at most 20 s), up to maxAttempts tries;
 * anything else (403, 404, 412, a bad request) fails at once. The last failure becomes the store's
 * error: what was tried where, how often, and what to do.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { NbresumeError } from "../../../errors.js";
import { FileTooLargeError } from "../../durable-fs.js";
import { CheckpointErrorCode, checkpointMessages as messages } from "../../messages.js";
import { type S3RequestError, toRequestError } from "./s3-sdk.js";

const MAX_DELAY_MS = 20_000;

export interface RetryPolicy {
  maxAttempts: number;
  retryBaseMs: number;
}

/** How long to wait before try number `attempt` + 1 (attempt counts from 1). */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const cap = Math.min(MAX_DELAY_MS, policy.retryBaseMs * 2 ** (attempt - 1));
  return Math.random() * cap;
}

const DENIED = new Set(["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "CredentialsProviderError"]);

/** The store's error for a request that failed for good. */
export function storageError(error: S3RequestError, what: string, where: string, attempts: number): NbresumeError {
  if (error.status === 403 || DENIED.has(error.code)) {
    return new NbresumeError(CheckpointErrorCode.REMOTE_DENIED, messages.remoteDenied(what, where, error.message), { where, cause: error });
  }
  return new NbresumeError(CheckpointErrorCode.REMOTE_FAILED, messages.remoteFailed(what, where, attempts, error.message), { where, cause: error });
}

function isFinal(error: unknown): boolean {
  return (
    error instanceof NbresumeError ||
    error instanceof FileTooLargeError ||
    error instanceof TypeError ||
    error instanceof RangeError ||
    (typeof error === "object" && error !== null && (error as { code?: unknown }).code === "ENOENT")
  );
}

/**
 * `request()` until it succeeds, fails with an error not worth retrying (thrown as it is: 404 and
 * 412 are answers the caller handles), or maxAttempts tries failed (CHECKPOINT_REMOTE_FAILED).
 * `what` and `where` name it in the error ("uploading model.safetensors", the object's URL).
 */
export async function withRetries<T>(policy: RetryPolicy, what: string, where: string, request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (caught) {
      // Answers, not faults: a missing object, one too large, our own errors.
      if (isFinal(caught)) throw caught;
      const error = toRequestError(caught, what);
      if (!error.retryable) {
        if (error.status === 403 || DENIED.has(error.code)) throw storageError(error, what, where, attempt);
        throw error;
      }
      if (attempt >= policy.maxAttempts) throw storageError(error, what, where, attempt);
      await sleep(backoffMs(policy, attempt));
    }
  }
}

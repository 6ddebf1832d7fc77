/**
 * Trying S3 requests again: throttling (503 SlowDown, 429), server errors (5xx), dropped or
 * stalled connections and garbled answers are retried with exponential backoff and full jitter
 * (the first retry after up to retryBaseMs, doubling, at most 20 s), up to maxAttempts tries;
 * anything else (403, 404, 412, a bad request) fails at once. The last failure becomes the store's
 * error: what was tried where, how often, and what to do.
 *
 * An outage is ridden out by a writer: a request the service never answered (connection refused
 * or reset, a timeout, a name that does not resolve) or a gateway's 502/504 is tried past
 * maxAttempts until `outageMs` have passed since its first failure (60 s by default), the waits
 * capped at OUTAGE_MAX_DELAY_MS so a service that comes back is found within seconds. Why: with
 * maxAttempts alone a request gives up after ~6 s, so a bucket that restarts or a network that
 * blips for 20 s failed three saves in a row and stopped an unattended run (maxFailedSaves);
 * now such a save is only late (the next background save waits for it), and an outage longer
 * than outageMs still fails each save, so a bucket that is really gone stops the run after
 * maxFailedSaves × outageMs (3 min by default). Read-only stores (a CLI command someone waits
 * on) get outageMs 0: they say at once that the service cannot be reached.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { NbresumeError } from "../../../errors.js";
import { FileTooLargeError } from "../../durable-fs.js";
import { CheckpointErrorCode, checkpointMessages as messages } from "../../messages.js";
import { type S3RequestError, toRequestError } from "./s3-sdk.js";

const MAX_DELAY_MS = 20_000;
/** Waits between tries past maxAttempts during an outage: short, so the service is found soon after it is back. */
const OUTAGE_MAX_DELAY_MS = 5_000;

export interface RetryPolicy {
  maxAttempts: number;
  retryBaseMs: number;
  /** How long after its first failure a request the service never answered is still tried (0: maxAttempts only). */
  outageMs?: number;
}

/** The same policy without riding out outages: a release or a clean-up that must not hold anything up. */
export function brief(policy: RetryPolicy, maxAttempts = 3): RetryPolicy {
  return { ...policy, maxAttempts: Math.min(maxAttempts, policy.maxAttempts), outageMs: 0 };
}

/** The service could not be reached or answered nothing (no HTTP status), or a gateway could not reach it. */
export function isUnreachable(error: S3RequestError): boolean {
  return error.retryable && (error.status === undefined || error.status === 502 || error.status === 504);
}

/**
 * How long to wait before trying again after failure number `attempt` (first at `firstFailureAt`),
 * or undefined to give up (see the top of this file).
 */
export function nextTryInMs(policy: RetryPolicy, error: S3RequestError, attempt: number, firstFailureAt: number): number | undefined {
  if (!error.retryable) return undefined;
  if (attempt < policy.maxAttempts) return backoffMs(policy, attempt);
  const outage = policy.outageMs ?? 0;
  if (outage <= 0 || !isUnreachable(error)) return undefined;
  const left = firstFailureAt + outage - Date.now();
  if (left <= 0) return undefined;
  return Math.min(left, Math.max(1, Math.random() * Math.min(OUTAGE_MAX_DELAY_MS, policy.retryBaseMs * 2 ** Math.min(attempt - 1, 30))));
}

/** How long to wait before try number `attempt` + 1 (attempt counts from 1). */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const cap = Math.min(MAX_DELAY_MS, policy.retryBaseMs * 2 ** (attempt - 1));
  return Math.random() * cap;
}

const DENIED = new Set(["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "CredentialsProviderError"]);

/** The store's error for a request that failed for good. */
export function storageError(error: S3RequestError, what: string, where: string, attempts: number, firstFailureAt?: number): NbresumeError {
  if (error.status === 403 || DENIED.has(error.code)) {
    return new NbresumeError(CheckpointErrorCode.REMOTE_DENIED, messages.remoteDenied(what, where, error.message), { where, cause: error });
  }
  const seconds = firstFailureAt === undefined ? 0 : Math.round((Date.now() - firstFailureAt) / 1000);
  return new NbresumeError(CheckpointErrorCode.REMOTE_FAILED, messages.remoteFailed(what, where, attempts, error.message, seconds), { where, cause: error });
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
  let firstFailureAt: number | undefined;
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
      firstFailureAt ??= Date.now();
      const wait = nextTryInMs(policy, error, attempt, firstFailureAt);
      if (wait === undefined) throw storageError(error, what, where, attempt, firstFailureAt);
      await sleep(wait);
    }
  }
}

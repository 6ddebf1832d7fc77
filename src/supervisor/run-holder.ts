/**
 * Who holds a bucket run's writer lease, and until when: what the supervisor needs when a training
 * cell fails with CHECKPOINT_LOCKED, to wait for a lease that a writer which died left behind
 * (it is taken over once it expires) instead of calling the cell broken. Read from the lease
 * object itself (`<prefix>/.lease.json`, src/checkpoint/storage/s3/s3-lease.ts), with this
 * process's AWS settings, never taken or changed.
 */
import { CheckpointErrorCode } from "../checkpoint/messages.js";
import { isUrlLocation, locationScheme } from "../checkpoint/storage/location.js";
import { resolveS3Settings } from "../checkpoint/storage/s3/s3-config.js";
import { LEASE_KEY } from "../checkpoint/storage/s3/s3-lease.js";
import { keyOf, parseS3Url } from "../checkpoint/storage/s3/s3-location.js";
import { readSmallObject } from "../checkpoint/storage/s3/s3-reader.js";
import { createS3Api } from "../checkpoint/storage/s3/s3-sdk.js";

const MAX_LEASE_BYTES = 64 * 1024;

export interface RunHolder {
  readonly pid: number;
  readonly hostname: string;
  /** When the lease ends unless its holder renews it (ms epoch). */
  readonly expiresAt: number;
  readonly released: boolean;
}

/**
 * Whether a cell's error text is the checkpoint store's "held by another writer" error, by its
 * code as the kernel prints nbresume's errors (`NbresumeError [CHECKPOINT_LOCKED]: …`).
 */
export function isHeldByAnotherWriter(errorText: string): boolean {
  return errorText.includes(`[${CheckpointErrorCode.LOCKED}]`);
}

/** The holder of `runDir`'s lease: undefined for a directory path (its lock has no expiry), or when there is no lease object. */
export async function readRunHolder(runDir: string): Promise<RunHolder | undefined> {
  if (!isUrlLocation(runDir) || locationScheme(runDir) !== "s3") return undefined;
  const where = parseS3Url(runDir);
  const settings = resolveS3Settings({});
  const api = await createS3Api(where.bucket, settings);
  try {
    const url = `${runDir.replace(/\/+$/, "")}/${LEASE_KEY}`;
    const { bytes } = await readSmallObject(api, settings, keyOf(where, LEASE_KEY), url, MAX_LEASE_BYTES);
    const v = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    const expiresAt = typeof v["expires"] === "string" ? Date.parse(v["expires"]) : Number.NaN;
    if (typeof v["pid"] !== "number" || typeof v["hostname"] !== "string" || Number.isNaN(expiresAt)) return undefined;
    return { pid: v["pid"], hostname: v["hostname"], expiresAt, released: v["released"] === true };
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return undefined;
    throw error;
  } finally {
    api.destroy();
  }
}

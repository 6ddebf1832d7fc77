/**
 * One writer per prefix on object storage: a lease object `<prefix>/.lease.json` holding
 * { pid, hostname, started, argv, token, expires } of its holder, renewed every third of its
 * lifetime while the store is open, and marked released by close().
 *
 *   acquire: read it. Held (not released, not expired, and not a dead process on this host) by
 *            someone else → CHECKPOINT_LOCKED naming the holder and when the lease ends. Otherwise
 *            write ours: a new lease with If-None-Match: *, a takeover with If-Match: <the ETag read>,
 *            so of two writers racing for it exactly one wins (412 for the other: read again).
 *   commit:  before each manifest, the store checks the lease still holds our token.
 *
 * Where the service ignores conditional writes (detected once per acquisition by writing our own
 * lease again with If-None-Match: *, which must fail with 412; s3rver and older MinIO ignore it),
 * the write is followed by a pause and a read back: the writer whose token is there holds the
 * lease. Two writers starting within that pause can then both believe they hold it, until the
 * first check before a commit: the one whose token was overwritten fails CHECKPOINT_LOCK_LOST and
 * commits nothing. A holder that dies is taken over when its lease expires (at once on its own
 * host, where its pid can be checked).
 */
import * as os from "node:os";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { NbresumeError } from "../../../errors.js";
import { isHolderAlive, ownProcStart } from "../../lock.js";
import { CheckpointErrorCode, checkpointMessages as messages } from "../../messages.js";
import type { WriterLease } from "../storage.js";
import { readSmallObject } from "./s3-reader.js";
import { type RetryPolicy, brief, withRetries } from "./s3-retry.js";
import { type S3Api, isPreconditionFailed } from "./s3-sdk.js";

export const LEASE_KEY = ".lease.json";
const MAX_LEASE_BYTES = 64 * 1024;
const MAX_ATTEMPTS = 20;
/** Read back this long after writing, where the service ignores conditional writes. */
const SETTLE_MS = 250;

export interface LeaseRecord {
  pid: number;
  hostname: string;
  started: string;
  argv: string[];
  token: string;
  /** ISO time the lease ends unless renewed. */
  expires: string;
  /** Linux process start time: a later process with the same pid is not the holder. */
  procStart?: string;
  released?: boolean;
}

/** Leases this process holds, by URL: a second open here is refused as "already open in this process". */
const heldHere = new Map<string, string>();

function parseLease(bytes: Uint8Array): LeaseRecord | undefined {
  try {
    const v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as Partial<LeaseRecord>;
    const ok =
      typeof v === "object" &&
      v !== null &&
      Number.isSafeInteger(v.pid) &&
      typeof v.hostname === "string" &&
      typeof v.started === "string" &&
      Array.isArray(v.argv) &&
      v.argv.every((a) => typeof a === "string") &&
      typeof v.token === "string" &&
      typeof v.expires === "string" &&
      !Number.isNaN(Date.parse(v.expires)) &&
      (v.released === undefined || typeof v.released === "boolean") &&
      (v.procStart === undefined || typeof v.procStart === "string");
    return ok ? (v as LeaseRecord) : undefined;
  } catch {
    return undefined;
  }
}

interface Current {
  record: LeaseRecord | undefined;
  etag: string | undefined;
  exists: boolean;
}

export class S3Lease implements WriterLease {
  private etag: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  /** The service honours If-Match / If-None-Match. */
  conditional = true;

  private constructor(
    private readonly api: S3Api,
    private readonly policy: RetryPolicy,
    private readonly key: string,
    private readonly url: string,
    readonly token: string,
    private readonly seconds: number,
  ) {}

  private static async read(api: S3Api, policy: RetryPolicy, key: string, url: string): Promise<Current> {
    try {
      const { bytes, etag } = await readSmallObject(api, policy, key, url, MAX_LEASE_BYTES);
      return { record: parseLease(bytes), etag, exists: true };
    } catch (error) {
      if ((error as { code?: unknown }).code === "ENOENT") return { record: undefined, etag: undefined, exists: false };
      // An unreadable or oversized lease is nobody's: it is taken over like an expired one.
      if ((error as Error).name === "FileTooLargeError") return { record: undefined, etag: undefined, exists: true };
      throw error;
    }
  }

  private record(): LeaseRecord {
    const procStart = ownProcStart();
    return {
      pid: process.pid,
      hostname: os.hostname(),
      started: new Date().toISOString(),
      argv: [...process.argv],
      token: this.token,
      expires: new Date(Date.now() + this.seconds * 1000).toISOString(),
      ...(procStart === undefined ? {} : { procStart }),
    };
  }

  /** Take the lease of `url` (see the top of this file). */
  static async acquire(api: S3Api, policy: RetryPolicy, key: string, url: string, seconds: number): Promise<S3Lease> {
    const mine = heldHere.get(url);
    const lease = new S3Lease(api, policy, key, url, randomBytes(8).toString("hex"), seconds);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await S3Lease.read(api, policy, key, url);
      const holder = current.record;
      if (holder !== undefined && !holder.released && Date.parse(holder.expires) > Date.now() && isHolderAlive(holder)) {
        const sameProcess = holder.pid === process.pid && holder.hostname === os.hostname();
        if (!sameProcess || mine === holder.token) {
          throw new NbresumeError(
            CheckpointErrorCode.LOCKED,
            sameProcess ? messages.leaseSameProcess(url, holder) : messages.leaseHeld(url, holder, holder.expires),
            { where: url },
          );
        }
      }
      const body = new TextEncoder().encode(`${JSON.stringify(lease.record())}\n`);
      try {
        const conditions = current.exists && current.etag !== undefined ? { ifMatch: current.etag } : current.exists ? {} : { ifNoneMatch: "*" as const };
        lease.etag = (await withRetries(policy, "taking the writer lease of", url, () => api.put(key, body, conditions))).etag;
      } catch (error) {
        if (isPreconditionFailed(error)) continue; // someone else wrote it meanwhile: look again
        throw error;
      }
      lease.conditional = await lease.probeConditional(body);
      if (!lease.conditional) {
        // Conditional writes ignored: whoever's token is there after a pause holds the lease.
        await sleep(SETTLE_MS);
        const after = await S3Lease.read(api, policy, key, url);
        if (after.record?.token !== lease.token) continue;
        lease.etag = after.etag;
      }
      heldHere.set(url, lease.token);
      lease.startRenewing();
      return lease;
    }
    throw new NbresumeError(CheckpointErrorCode.LOCKED, messages.lockContended(url), { where: url });
  }

  /** Writing our own lease again "only if absent" must fail with 412 where conditions are honoured. */
  private async probeConditional(body: Uint8Array): Promise<boolean> {
    try {
      const { etag } = await withRetries(this.policy, "checking conditional writes at", this.url, () => this.api.put(this.key, body, { ifNoneMatch: "*" }));
      this.etag = etag; // written again (the same bytes): the service ignores the condition
      return false;
    } catch (error) {
      if (isPreconditionFailed(error)) return true;
      throw error;
    }
  }

  private startRenewing(): void {
    const every = Math.max(200, (this.seconds * 1000) / 3);
    let renewing = false;
    this.timer = setInterval(() => {
      // One renewal at a time: during an outage one may be retried for up to outageMs.
      if (renewing) return;
      renewing = true;
      this.renew()
        .catch(() => undefined) // a renewal that fails is tried again; the commit check says if the lease was lost
        .finally(() => {
          renewing = false;
        });
    }, every);
    this.timer.unref();
  }

  /** Write the lease again with a later expiry, only while it is still ours. */
  async renew(): Promise<void> {
    if (this.released) return;
    const current = await S3Lease.read(this.api, this.policy, this.key, this.url);
    if (current.record?.token !== this.token || current.record.released === true) return; // lost: the next commit check fails
    const body = new TextEncoder().encode(`${JSON.stringify({ ...current.record, expires: new Date(Date.now() + this.seconds * 1000).toISOString() })}\n`);
    try {
      const conditions = this.conditional && current.etag !== undefined ? { ifMatch: current.etag } : {};
      this.etag = (await withRetries(this.policy, "renewing the writer lease of", this.url, () => this.api.put(this.key, body, conditions))).etag;
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
  }

  async assertHeld(): Promise<void> {
    await checkLease(this.api, this.policy, this.key, this.url, this.token);
  }

  async release(): Promise<"recorded" | "failed" | "already"> {
    if (this.released) return "already";
    this.released = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (heldHere.get(this.url) === this.token) heldHere.delete(this.url);
    try {
      const current = await S3Lease.read(this.api, brief(this.policy), this.key, this.url);
      if (current.record?.token !== this.token) return "recorded"; // taken over: leave theirs alone
      const body = new TextEncoder().encode(`${JSON.stringify({ ...current.record, released: true })}\n`);
      const conditions = this.conditional && current.etag !== undefined ? { ifMatch: current.etag } : {};
      await withRetries(brief(this.policy), "releasing the writer lease of", this.url, () => this.api.put(this.key, body, conditions));
      return "recorded";
    } catch {
      return "failed"; // it expires on its own
    }
  }
}

/** Throws CHECKPOINT_LOCK_LOST unless the lease of `url` still holds `token` (the writer thread's check). */
export async function checkLease(api: S3Api, policy: RetryPolicy, key: string, url: string, token: string): Promise<void> {
  let record: LeaseRecord | undefined;
  try {
    record = parseLease((await readSmallObject(api, policy, key, url, MAX_LEASE_BYTES)).bytes);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ENOENT") throw error;
  }
  if (record !== undefined && record.token === token && record.released !== true) return;
  throw new NbresumeError(CheckpointErrorCode.LOCK_LOST, messages.lockLost(url, record), { where: url });
}

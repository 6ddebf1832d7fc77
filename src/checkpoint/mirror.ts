/**
 * Local + remote: a local store (the fast path, as without a mirror) with a second copy in a
 * bucket (`mirror: "s3://bucket/prefix"`), so checkpoints outlive the machine.
 *
 *   open     the bucket prefix's lease taken (one writer per prefix, as per directory) → if the
 *            bucket holds a checkpoint newer than any local one (a new machine, an emptied
 *            directory), the newest one that verifies is copied down, damaged ones passed over,
 *            with the model's graphs → every local checkpoint and blob the bucket lacks queued up
 *   commit   each committed checkpoint queued for upload; the mirror's thread (mirror-worker.ts)
 *            uploads it (manifest last: never half-listed), points the bucket's `latest` at it and
 *            applies the retention policy to the bucket
 *   blobs    previews and graphs written through the store go to both (mirrored-blobs below)
 *   close    one more try of everything missing, then waits for the uploads — a bounded time
 *            (below) — and resolves either way: what is not in the bucket is recorded (the
 *            close's warning, MirrorStatus.notUploaded), never thrown; the local checkpoints are
 *            complete, and the next open of the directory with the same mirror uploads them
 *
 * Jobs wait here, one at a time in the mirror's thread: while uploads fail, everything queued is
 * merged into one catch-up (it uploads every local checkpoint and blob the bucket lacks), so a
 * bucket that is down for an hour does not pile up one job per checkpoint for close() to wait on.
 *
 * How long close() waits: as long as the uploads make progress (new bytes of a checkpoint beyond
 * any earlier try of it, or a job done), and at most `outageMs` (s3.outageMs, 60 s by default)
 * without any. A large upload on a slow link is worth waiting for; a bucket that cannot be
 * reached is not: a request already rides out an outage of outageMs (s3-retry.ts), so after that
 * long with nothing moving, every try has failed, and waiting longer only keeps the notebook's
 * cell (and the run's result) hostage. The wait is shown: MirrorStatus.closing says since when and
 * until when at the latest.
 *
 * Progress and failures: backgroundStatus.mirror (MirrorStatus). A failed upload does not stop
 * training: it is tried again with the next commit. A lost lease of the bucket prefix (another
 * writer took it) stops the mirror's uploads for good.
 */
import type { Worker } from "node:worker_threads";
import { isNbresumeError } from "../errors.js";
import { Listing } from "./listing.js";
import { copyCheckpoint } from "./mirror-copy.js";
import type { MirrorJob, MirrorReply, MirrorWorkerData } from "./mirror-protocol.js";
import { CheckpointErrorCode, checkpointMessages as messages } from "./messages.js";
import { type ResolvedRetentionPolicy, compareNewestFirst } from "./retention.js";
import { isUrlLocation } from "./storage/location.js";
import { openStorage } from "./storage/registry.js";
import { DEFAULT_OUTAGE_MS } from "./storage/s3/s3-config.js";
import type { S3Options } from "./storage/s3/s3-options.js";
import type { BlobInfo, BlobStore, CheckpointStorage, WriterLease } from "./storage/storage.js";
import type { StoreContext } from "./store-context.js";
import type { BestMetric, CheckpointInfo, MirrorClosed, MirrorStatus, RetentionPolicy, SavedCheckpoint } from "./store.js";
import { deserializeError } from "../shared/thread-errors.js";
import { divergedProblems, verifyCheckpoint } from "./verify.js";
import { startWorker } from "./worker-start.js";

/** The folder of blobs shared by every checkpoint (the model's graphs): copied down with a pulled checkpoint. */
const SHARED_FOLDER = "graphs";
const MAX_BLOB_BYTES = 256 * 1024 * 1024;
/** How often close() looks whether the uploads are done or stalled. */
const CLOSE_POLL_MS = 50;
/** Releasing the bucket's lease as the mirror closes: a bucket that cannot be reached is not waited for (the lease expires on its own). */
const RELEASE_WAIT_MS = 5_000;

type Job = DistributiveOmit<MirrorJob, "id">;

/** Jobs a queued catch-up does too (it uploads every checkpoint and the blobs at the top level and in SHARED_FOLDER, then prunes). */
function coveredByCatchUp(job: Job): boolean {
  if (job.op === "upload" || job.op === "catchUp" || job.op === "prune") return true;
  return job.op === "putBlob" && (!job.name.includes("/") || job.name.startsWith(`${SHARED_FOLDER}/`));
}

/** `promise`, or undefined after `ms` (the timer does not hold the process open). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface MirrorSource {
  storage: CheckpointStorage;
  lease: WriterLease;
  policy: ResolvedRetentionPolicy;
  bestMetric: BestMetric | undefined;
}

export interface MirrorOptions {
  keep?: RetentionPolicy;
  s3?: S3Options;
}

/** Blobs written locally and queued for the bucket; read from the local copy. */
class MirroredBlobs implements BlobStore {
  constructor(
    private readonly local: BlobStore,
    private readonly mirror: Mirror,
  ) {}

  get location(): string {
    return this.local.location;
  }

  locate(name: string): string {
    return this.local.locate(name);
  }

  async put(name: string, bytes: Uint8Array, options?: { durable?: boolean }): Promise<string> {
    const where = await this.local.put(name, bytes, options);
    this.mirror.send({ op: "putBlob", name, bytes: bytes.slice() });
    return where;
  }

  get(name: string, maxBytes: number): Promise<Uint8Array> {
    return this.local.get(name, maxBytes);
  }

  list(folder?: string): Promise<BlobInfo[]> {
    return this.local.list(folder);
  }

  async delete(name: string): Promise<void> {
    await this.local.delete(name);
    this.mirror.send({ op: "deleteBlob", name });
  }
}

export class Mirror {
  readonly blobs: BlobStore;
  private worker: Worker | undefined;
  private nextId = 1;
  /** Jobs not sent yet (merged while uploads fail); the mirror's thread does one at a time. */
  private readonly queue: Job[] = [];
  private inFlight: { id: number; job: Job } | undefined;
  private uploading: MirrorStatus["uploading"];
  private readonly behind = new Set<string>();
  private lastUploaded: MirrorStatus["lastUploaded"];
  private failures = 0;
  private lastError: string | undefined;
  private pulled: { name: string; skipped: { name: string; problem: string }[] } | undefined;
  /** The bucket prefix's lease was taken by another writer: nothing more is uploaded. */
  private lost = false;
  /** When an upload last moved (new bytes beyond any earlier try of it, or a job done). */
  private lastProgressAt = Date.now();
  /** Per checkpoint, the most bytes any try of its upload reached: a retry's bytes up to there are not progress. */
  private readonly highWater = new Map<string, number>();
  private closingSince: number | undefined;
  private closed = false;
  private result: MirrorClosed | undefined;

  private constructor(
    readonly target: string,
    private readonly source: MirrorSource,
    private readonly remote: CheckpointStorage,
    private readonly lease: WriterLease,
    private readonly keep: RetentionPolicy | undefined,
    /** How long close() waits with no upload moving (see the top of this file). */
    private readonly stallMs: number,
  ) {
    this.blobs = new MirroredBlobs(source.storage.blobs, this);
  }

  /** TypeError for a mirror option that cannot work (checked before anything is opened). */
  static checkOption(mirror: unknown, dir: string, readOnly: boolean): void {
    if (mirror === undefined) return;
    if (typeof mirror !== "string" || !isUrlLocation(mirror)) {
      throw new TypeError(`mirror must be an object-storage URL like "s3://bucket/prefix", got ${JSON.stringify(mirror)}.`);
    }
    if (isUrlLocation(dir)) throw new TypeError(messages.mirrorOnlyLocal(mirror, dir));
    if (readOnly)
      throw new TypeError(`mirror: a read-only store copies nothing; open ${dir} without readOnly to mirror it, or open ${mirror} itself to read the copy.`);
  }

  /** Take the bucket's lease, copy down a newer checkpoint if the bucket has one (see the top of this file). */
  static async open(target: string, source: MirrorSource, options: MirrorOptions): Promise<Mirror> {
    const remote = await openStorage(target, options.s3 ? { s3: options.s3 } : {});
    let lease: WriterLease | undefined;
    try {
      await remote.prepareForWriting();
      lease = await remote.acquireLease();
      const outage = remote.spec.settings["outageMs"];
      const mirror = new Mirror(target, source, remote, lease, options.keep, typeof outage === "number" ? outage : DEFAULT_OUTAGE_MS);
      await mirror.pullIfNewer();
      return mirror;
    } catch (error) {
      await lease?.release();
      await remote.close();
      throw error;
    }
  }

  private context(storage: CheckpointStorage, lease: WriterLease | undefined): StoreContext {
    return {
      storage,
      dir: storage.location,
      readOnly: true,
      policy: this.source.policy,
      bestMetric: this.source.bestMetric,
      margin: 0,
      autoPrune: false,
      lease,
    };
  }

  /** A new machine, or a local directory behind the bucket: start from the bucket's newest checkpoint that verifies. */
  private async pullIfNewer(): Promise<void> {
    const local = (await new Listing(this.context(this.source.storage, undefined)).list()).checkpoints.filter(
      (c) => c.manifest && (c.problems ?? []).length === 0,
    );
    const localNewest = [...local].sort(compareNewestFirst)[0];
    const remote = (await new Listing(this.context(this.remote, undefined)).list()).checkpoints.sort(compareNewestFirst);
    const skipped: { name: string; problem: string }[] = [];
    for (const candidate of remote) {
      if (localNewest !== undefined && compareNewestFirst(candidate, localNewest) >= 0) break;
      const unusable = [...(candidate.problems ?? []), ...divergedProblems(candidate.manifest)];
      if (unusable.length > 0) {
        skipped.push({ name: candidate.name, problem: unusable.map((p) => p.message).join("; ") });
        continue;
      }
      try {
        await copyCheckpoint(this.remote, this.source.storage, candidate.name, { assertHeld: () => this.source.lease.assertHeld() });
      } catch (error) {
        if (!isNbresumeError(error, CheckpointErrorCode.CORRUPT)) throw error;
        skipped.push({ name: candidate.name, problem: error.message });
        continue;
      }
      // Copied with every hash checked; the full check (formats, state against manifest) before it counts.
      const check = await verifyCheckpoint(this.source.storage.files(this.source.storage.checkpointLocation(candidate.name)));
      if (check.problems.length > 0) {
        await this.source.storage.remove([candidate.name]);
        skipped.push({ name: candidate.name, problem: check.problems.map((p) => p.message).join("; ") });
        continue;
      }
      this.pulled = { name: candidate.name, skipped };
      await this.pullSharedBlobs();
      return;
    }
  }

  private async pullSharedBlobs(): Promise<void> {
    const here = new Set((await this.source.storage.blobs.list(SHARED_FOLDER)).map((b) => b.name));
    for (const blob of await this.remote.blobs.list(SHARED_FOLDER)) {
      if (here.has(blob.name)) continue;
      await this.source.storage.blobs.put(blob.name, await this.remote.blobs.get(blob.name, MAX_BLOB_BYTES), { durable: true });
    }
  }

  /** After open: every local checkpoint and blob the bucket lacks. */
  catchUp(checkpoints: readonly CheckpointInfo[]): void {
    for (const c of checkpoints) if (c.manifest) this.behind.add(c.name);
    this.send({ op: "catchUp", folder: SHARED_FOLDER, maxBlobBytes: MAX_BLOB_BYTES });
  }

  /** A checkpoint committed locally: upload it (everything still missing, after a failure). */
  committed(saved: SavedCheckpoint): void {
    this.behind.add(saved.name);
    for (const name of saved.pruned) this.behind.delete(name);
    if (this.failures > 0) this.send({ op: "catchUp", folder: SHARED_FOLDER, maxBlobBytes: MAX_BLOB_BYTES });
    else this.send({ op: "upload", name: saved.name });
  }

  /** Checkpoints pruned locally by an explicit prune(): the bucket's retention runs too. */
  pruned(names: readonly string[]): void {
    for (const name of names) this.behind.delete(name);
    this.send({ op: "prune" });
  }

  status(): MirrorStatus {
    const closing = this.closingSince !== undefined && !this.closed;
    return {
      target: this.target,
      uploading: this.uploading === undefined ? undefined : { ...this.uploading },
      behind: this.behind.size,
      lastUploaded: this.lastUploaded === undefined ? undefined : { ...this.lastUploaded },
      consecutiveFailures: this.failures,
      lastError: this.lastError,
      notUploaded: [...this.behind].sort(),
      ...(this.pulled === undefined ? {} : { pulled: { name: this.pulled.name, skipped: this.pulled.skipped.map((s) => ({ ...s })) } }),
      ...(closing
        ? { closing: { since: new Date(this.closingSince!).toISOString(), giveUpAt: new Date(this.lastProgressAt + this.stallMs).toISOString() } }
        : {}),
      ...(this.result?.warning === undefined ? {} : { warning: this.result.warning }),
    };
  }

  /** Queue a job for the mirror's thread (started on the first); merged into a queued catch-up that does it too. */
  send(job: Job): void {
    if (this.closed || this.lost) return;
    if (job.op === "catchUp") {
      for (let i = this.queue.length - 1; i >= 0; i--) if (coveredByCatchUp(this.queue[i]!)) this.queue.splice(i, 1);
      this.queue.push(job);
    } else if (!(coveredByCatchUp(job) && this.queue.some((j) => j.op === "catchUp"))) {
      this.queue.push(job);
    }
    this.pump();
  }

  /** The next job to the thread, when none is in flight. */
  private pump(): void {
    if (this.inFlight !== undefined || this.closed) return;
    const job = this.queue.shift();
    if (job === undefined) {
      this.worker?.unref();
      return;
    }
    const id = this.nextId++;
    const worker = this.worker ?? this.start();
    worker.ref();
    this.inFlight = { id, job };
    worker.postMessage({ ...job, id });
  }

  private start(): Worker {
    const data: MirrorWorkerData = {
      local: this.source.storage.spec,
      remote: this.remote.spec,
      leaseToken: this.lease.token,
      keep: this.keep,
      bestMetric: this.source.bestMetric,
    };
    const worker = startWorker(import.meta.url, "mirror-worker", data);
    worker.unref();
    worker.on("message", (reply: MirrorReply) => this.onReply(reply));
    worker.on("error", (error) => this.stopped(worker, error.message));
    worker.on("exit", (code) => this.stopped(worker, `exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private onReply(reply: MirrorReply): void {
    if (reply.id !== this.inFlight?.id) return;
    if (reply.type === "progress") {
      this.uploading = {
        name: reply.name,
        bytes: reply.copied,
        totalBytes: reply.total,
        startedAt: this.uploading?.name === reply.name ? this.uploading.startedAt : new Date().toISOString(),
      };
      if (reply.copied > (this.highWater.get(reply.name) ?? 0)) {
        this.highWater.set(reply.name, reply.copied);
        this.lastProgressAt = Date.now();
      }
      return;
    }
    const { job } = this.inFlight;
    this.inFlight = undefined;
    this.uploading = undefined;
    if (reply.ok) {
      this.lastProgressAt = Date.now();
      for (const name of [...reply.uploaded, ...reply.pruned]) {
        this.behind.delete(name);
        this.highWater.delete(name);
      }
      const newest = reply.uploaded.at(-1);
      if (newest !== undefined) this.lastUploaded = { name: newest, step: Number(/step-(\d+)/.exec(newest)?.[1] ?? 0), uploadedAt: new Date().toISOString() };
      if (reply.missing.length === 0) {
        this.failures = 0;
        this.lastError = undefined;
      } else {
        this.lastError = messages.mirrorBehind(this.target, reply.missing, "damaged locally: never copied");
      }
    } else {
      this.failures++;
      const error = deserializeError(reply.error);
      this.lastError = messages.mirrorUploadFailed(job.op === "upload" ? job.name : "the checkpoints", this.target, this.failures, error.message);
      if (isNbresumeError(error, CheckpointErrorCode.LOCK_LOST)) {
        // Another writer has the bucket prefix now: trying again cannot help.
        this.lost = true;
        this.queue.length = 0;
        this.lastError = error.message;
      }
    }
    this.pump();
  }

  private stopped(worker: Worker, detail: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    if (this.inFlight !== undefined) {
      this.failures++;
      this.lastError = messages.mirrorUploadFailed("the checkpoints", this.target, this.failures, `the mirror's thread stopped (${detail})`);
      this.inFlight = undefined;
      this.uploading = undefined;
    }
    this.pump();
  }

  /**
   * See the top of this file: resolves with what is not in the bucket (never rejects for it),
   * after the thread is stopped and the lease released. Idempotent.
   */
  async close(): Promise<MirrorClosed> {
    if (this.result !== undefined) return this.result;
    this.closingSince = Date.now();
    this.lastProgressAt = Math.max(this.lastProgressAt, this.closingSince);
    let gaveUp = false;
    try {
      // One more try of everything missing (it replaces what failing uploads left queued).
      if (this.failures > 0) this.send({ op: "catchUp", folder: SHARED_FOLDER, maxBlobBytes: MAX_BLOB_BYTES });
      while (!this.lost && (this.inFlight !== undefined || this.queue.length > 0)) {
        if (Date.now() - this.lastProgressAt >= this.stallMs) {
          gaveUp = true;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, CLOSE_POLL_MS));
      }
    } finally {
      this.closed = true;
      const worker = this.worker;
      this.worker = undefined;
      this.inFlight = undefined;
      this.uploading = undefined;
      this.queue.length = 0;
      if (worker) await worker.terminate();
      await within(this.lease.release(), RELEASE_WAIT_MS);
      await this.remote.close();
    }
    const notUploaded = [...this.behind].sort();
    const behind = notUploaded.length > 0 || this.failures > 0;
    const reason = gaveUp ? messages.mirrorGaveUp(this.lastError, Math.round(this.stallMs / 1000)) : (this.lastError ?? "not uploaded when the store closed");
    this.result = { target: this.target, notUploaded, warning: behind ? messages.mirrorBehind(this.target, notUploaded, reason) : undefined };
    return this.result;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

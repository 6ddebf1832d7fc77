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
 *   close    waits for the uploads; what could not be uploaded (after every retry) makes close()
 *            reject with CHECKPOINT_MIRROR_FAILED, after everything is released — the local
 *            checkpoints are intact, and the next open with the same mirror uploads them
 *
 * Progress and failures: backgroundStatus.mirror (MirrorStatus). A failed upload does not stop
 * training: it is tried again with the next commit.
 */
import type { Worker } from "node:worker_threads";
import { NbresumeError, isNbresumeError } from "../errors.js";
import { Listing } from "./listing.js";
import { copyCheckpoint } from "./mirror-copy.js";
import type { MirrorJob, MirrorReply, MirrorWorkerData } from "./mirror-protocol.js";
import { CheckpointErrorCode, checkpointMessages as messages } from "./messages.js";
import { type ResolvedRetentionPolicy, compareNewestFirst } from "./retention.js";
import { isUrlLocation } from "./storage/location.js";
import { openStorage } from "./storage/registry.js";
import type { S3Options } from "./storage/s3/s3-options.js";
import type { BlobInfo, BlobStore, CheckpointStorage, WriterLease } from "./storage/storage.js";
import type { StoreContext } from "./store-context.js";
import type { BestMetric, CheckpointInfo, MirrorStatus, RetentionPolicy, SavedCheckpoint } from "./store.js";
import { deserializeError } from "../shared/thread-errors.js";
import { divergedProblems, verifyCheckpoint } from "./verify.js";
import { startWorker } from "./worker-start.js";

/** The folder of blobs shared by every checkpoint (the model's graphs): copied down with a pulled checkpoint. */
const SHARED_FOLDER = "graphs";
const MAX_BLOB_BYTES = 256 * 1024 * 1024;

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
  private readonly waiting = new Map<number, { resolve: () => void }>();
  private readonly uploadNames = new Map<number, string>();
  private uploading: MirrorStatus["uploading"];
  private readonly behind = new Set<string>();
  private lastUploaded: MirrorStatus["lastUploaded"];
  private failures = 0;
  private lastError: string | undefined;
  private pulled: { name: string; skipped: { name: string; problem: string }[] } | undefined;
  private closed = false;

  private constructor(
    readonly target: string,
    private readonly source: MirrorSource,
    private readonly remote: CheckpointStorage,
    private readonly lease: WriterLease,
    private readonly keep: RetentionPolicy | undefined,
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
      const mirror = new Mirror(target, source, remote, lease, options.keep);
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
    return {
      target: this.target,
      uploading: this.uploading === undefined ? undefined : { ...this.uploading },
      behind: this.behind.size,
      lastUploaded: this.lastUploaded === undefined ? undefined : { ...this.lastUploaded },
      consecutiveFailures: this.failures,
      lastError: this.lastError,
      ...(this.pulled === undefined ? {} : { pulled: { name: this.pulled.name, skipped: this.pulled.skipped.map((s) => ({ ...s })) } }),
    };
  }

  /** Queue a job for the mirror's thread (started on the first). */
  send(job: DistributiveOmit<MirrorJob, "id">): void {
    if (this.closed) return;
    const id = this.nextId++;
    const worker = this.worker ?? this.start();
    if (job.op === "upload") this.uploadNames.set(id, job.name);
    worker.ref();
    this.waiting.set(id, { resolve: () => undefined });
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
    worker.on("error", (error) => this.stopped(error.message));
    worker.on("exit", (code) => this.stopped(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private onReply(reply: MirrorReply): void {
    if (reply.type === "progress") {
      this.uploading = {
        name: reply.name,
        bytes: reply.copied,
        totalBytes: reply.total,
        startedAt: this.uploading?.name === reply.name ? this.uploading.startedAt : new Date().toISOString(),
      };
      return;
    }
    const waiting = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    this.uploadNames.delete(reply.id);
    this.uploading = undefined;
    if (reply.ok) {
      for (const name of [...reply.uploaded, ...reply.pruned]) this.behind.delete(name);
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
      this.lastError = messages.mirrorUploadFailed(this.uploadNames.get(reply.id) ?? "the checkpoints", this.target, this.failures, error.message);
    }
    if (this.waiting.size === 0) this.worker?.unref();
    waiting?.resolve();
  }

  private stopped(detail: string): void {
    if (this.worker === undefined) return;
    this.worker = undefined;
    if (this.waiting.size > 0) {
      this.failures++;
      this.lastError = messages.mirrorUploadFailed("the checkpoints", this.target, this.failures, `the mirror's thread stopped (${detail})`);
    }
    this.waiting.clear();
  }

  /** Until every queued job has answered. */
  private async drained(): Promise<void> {
    while (this.waiting.size > 0 && this.worker !== undefined) {
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (this.waiting.size === 0 || this.worker === undefined) {
            clearInterval(check);
            resolve();
          }
        }, 20);
      });
    }
  }

  /** See the top of this file. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.drained();
      if (this.failures > 0 || this.behind.size > 0) {
        // One more try of everything still missing before giving up.
        this.send({ op: "catchUp", folder: SHARED_FOLDER, maxBlobBytes: MAX_BLOB_BYTES });
        await this.drained();
      }
    } finally {
      this.closed = true;
      const worker = this.worker;
      this.worker = undefined;
      if (worker) await worker.terminate();
      await this.lease.release();
      await this.remote.close();
    }
    if (this.failures > 0 || this.behind.size > 0) {
      throw new NbresumeError(CheckpointErrorCode.MIRROR_FAILED, messages.mirrorBehind(this.target, [...this.behind], this.lastError ?? "not uploaded"), {
        where: this.target,
      });
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * The checkpoint store's implementation (the contract and the pipeline are in store.ts): its
 * lifecycle — open (storage, lease, leftovers, index, the `latest` repair, the mirror), close —
 * and the units each public call goes to:
 *
 *   listing.ts (list, du)      reading.ts (resolve, load, verify, state)     pruning.ts (prune)
 *   commit-pipeline.ts (save)  background-queue.ts (the queue, background saves → worker-writer.ts)
 *   mirror.ts (a second copy on object storage)    run-questions.ts (config diff, resume command)
 *
 * Where checkpoints live is the storage's business (storage/storage.ts: a local directory, or
 * s3://bucket/prefix). Everything read back is untrusted: nothing is followed through a symlink,
 * nothing but a plain file is opened, every walk and listing is bounded, and a checkpoint that is
 * or holds anything else is skipped like a damaged one.
 */
import { NbresumeError } from "../errors.js";
import type { BackgroundJob, BackgroundWriter, WriterConfig } from "./background-writer.js";
import { SaveQueue } from "./background-queue.js";
import { CheckpointIndex } from "./checkpoint-index.js";
import { CommitPipeline } from "./commit-pipeline.js";
import { readCheckpointContents } from "./contents.js";
import { DEFAULT_DISK_MARGIN } from "./disk-space.js";
import type { DurableFs } from "./durable-fs.js";
import { nodeFs } from "./durable-fs.js";
import { Listing } from "./listing.js";
import { CheckpointErrorCode, badArgument, checkpointMessages as messages } from "./messages.js";
import { Mirror } from "./mirror.js";
import { LOCK_DIR } from "./naming.js";
import { Pruner } from "./pruning.js";
import { compareNewestFirst, resolveRetentionPolicy } from "./retention.js";
import { Reading } from "./reading.js";
import { configDiff, resumeInfo } from "./run-questions.js";
import { checkTensorGroup } from "./safetensors/index.js";
import { DEFAULT_MAX_FAILED_SAVES, SaveOutcomes } from "./save-outcomes.js";
import { prepareSave, validateBestMetric } from "./save-request.js";
import { snapshotTensors } from "../shared/snapshot.js";
import { openError } from "./store-errors.js";
import type { StoreContext } from "./store-context.js";
import { registerOpenBlobs } from "./storage/blobs-at.js";
import { isUrlLocation, joinLocation } from "./storage/location.js";
import { type StorageOptions, openStorage, storageFromSpec } from "./storage/registry.js";
import type { BlobStore, CheckpointStorage, WriterLease } from "./storage/storage.js";
import type {
  BackgroundSave,
  BackgroundSaveStatus,
  CheckpointContents,
  CheckpointInfo,
  CheckpointListing,
  CheckpointReader,
  CheckpointStateRecord,
  CheckpointStore,
  CheckpointStoreOptions,
  CheckpointTarget,
  ConfigDiff,
  DiskUsage,
  ListOptions,
  LoadOptions,
  LoadedCheckpoint,
  MirrorClosed,
  PruneOptions,
  PruneResult,
  ResolvedCheckpoint,
  ResumeInfo,
  SaveRequest,
  SavedCheckpoint,
  StoreClosed,
  VerifyResult,
} from "./store.js";
import { WorkerWriter } from "./worker-writer.js";

interface BackgroundSetup {
  writer: "worker" | "inline";
  maxFailedSaves: number;
  /** For the worker writer (a writable store). */
  config: WriterConfig | undefined;
}

function validateBackgroundOptions(options: CheckpointStoreOptions): { writer: "worker" | "inline"; maxFailedSaves: number } {
  const customFs = options.fs !== undefined && options.fs !== nodeFs;
  const writer = options.backgroundWriter ?? (customFs ? "inline" : "worker");
  if (writer !== "worker" && writer !== "inline") throw new TypeError(badArgument.backgroundWriter(writer));
  if (writer === "worker" && customFs) throw new TypeError(badArgument.workerWithFs());
  const maxFailedSaves = options.maxFailedSaves ?? DEFAULT_MAX_FAILED_SAVES;
  if (typeof maxFailedSaves !== "number" || !Number.isSafeInteger(maxFailedSaves) || maxFailedSaves < 1) {
    throw new RangeError(badArgument.maxFailedSaves(maxFailedSaves));
  }
  return { writer, maxFailedSaves };
}

function storageOptions(options: CheckpointStoreOptions, fs?: DurableFs): StorageOptions {
  return { ...((fs ?? options.fs) ? { fs: fs ?? options.fs } : {}), ...(options.s3 ? { s3: options.s3 } : {}) };
}

export class CheckpointStoreImpl implements CheckpointStore {
  private closed = false;
  private closing: Promise<StoreClosed> | undefined;
  private readonly outcomes: SaveOutcomes;
  private readonly index: CheckpointIndex;
  private readonly listing: Listing;
  private readonly reading: Reading;
  private readonly pruner: Pruner;
  private readonly pipeline: CommitPipeline;
  private readonly saves: SaveQueue;
  private mirror: Mirror | undefined;
  /** Ends the registration of this writable store's blobs by its location (blobs-at.ts). */
  private unregisterBlobs: () => void = () => undefined;

  private constructor(
    private readonly ctx: StoreContext,
    private readonly background: BackgroundSetup,
  ) {
    this.outcomes = new SaveOutcomes(ctx.dir, background.maxFailedSaves, background.writer, () => this.mirror?.status());
    this.listing = new Listing(ctx);
    this.index = new CheckpointIndex(ctx.storage, (location) => this.listing.describe(location));
    this.reading = new Reading(ctx, this.listing);
    this.pruner = new Pruner(ctx, this.listing, this.index);
    this.pipeline = new CommitPipeline(ctx, this.listing, this.index, this.pruner);
    this.saves = new SaveQueue(
      this.outcomes,
      this.index,
      () => this.makeWriter(),
      (saved) => this.mirror?.committed(saved),
    );
  }

  get dir(): string {
    return this.ctx.dir;
  }

  get readOnly(): boolean {
    return this.ctx.readOnly;
  }

  get blobs(): BlobStore {
    return this.mirror?.blobs ?? this.ctx.storage.blobs;
  }

  /** Where checkpoints live (the store's seam; the CLI reaches the layout only through it). */
  get storage(): CheckpointStorage {
    return this.ctx.storage;
  }

  static open(dir: string, options: CheckpointStoreOptions & { readOnly: true }): Promise<CheckpointReader>;
  static open(dir: string, options?: CheckpointStoreOptions): Promise<CheckpointStore>;
  static async open(dir: string, options: CheckpointStoreOptions = {}): Promise<CheckpointStore> {
    if (typeof dir !== "string" || dir.length === 0) throw new TypeError(badArgument.dir(dir));
    const policy = resolveRetentionPolicy(options.keep);
    const bestMetric = validateBestMetric(options.bestMetric);
    const margin = options.diskMargin ?? DEFAULT_DISK_MARGIN;
    if (typeof margin !== "number" || !Number.isSafeInteger(margin) || margin < 0) throw new RangeError(badArgument.diskMargin(margin));
    const { writer, maxFailedSaves } = validateBackgroundOptions(options);
    const readOnly = options.readOnly === true;
    Mirror.checkOption(options.mirror, dir, readOnly);
    const storage = await openStorage(dir, storageOptions(options));
    const root = storage.location;
    const context = (lease: WriterLease | undefined, autoPrune: boolean): StoreContext => ({
      storage,
      dir: root,
      readOnly,
      policy,
      bestMetric,
      margin,
      autoPrune,
      lease,
    });

    if (readOnly) {
      if (
        !(await storage.exists().catch(async (error: unknown) => {
          await storage.close();
          throw error;
        }))
      ) {
        await storage.close();
        throw new NbresumeError(CheckpointErrorCode.DIR_MISSING, messages.dirMissing(root, isUrlLocation(root)), { where: root });
      }
      return new CheckpointStoreImpl(context(undefined, false), { writer, maxFailedSaves, config: undefined });
    }
    try {
      await storage.prepareForWriting();
    } catch (error) {
      await storage.close();
      throw openError(error, root, "creating", root);
    }
    let lease: WriterLease;
    try {
      lease = await storage.acquireLease();
    } catch (error) {
      await storage.close();
      throw openError(error, root, "taking the writer lock in", joinLocation(root, LOCK_DIR));
    }
    const autoPrune = options.autoPrune ?? true;
    const config: WriterConfig = { dir: root, storage: storage.spec, keep: options.keep, bestMetric, diskMargin: margin, autoPrune, lockToken: lease.token };
    const store = new CheckpointStoreImpl(context(lease, autoPrune), { writer, maxFailedSaves, config });
    try {
      await storage.removeLeftovers();
      if (options.mirror !== undefined) {
        store.mirror = await Mirror.open(
          options.mirror,
          { storage, lease, policy, bestMetric },
          { ...(options.keep ? { keep: options.keep } : {}), ...(options.s3 ? { s3: options.s3 } : {}) },
        );
      }
      const { checkpoints } = await store.list();
      store.index.seed(checkpoints);
      await store.repairLatest(checkpoints);
      store.mirror?.catchUp(checkpoints);
      store.unregisterBlobs = registerOpenBlobs(root, store.blobs);
    } catch (error) {
      await store.mirror?.close().catch(() => undefined);
      await lease.release();
      await storage.close();
      throw openError(error, root, "removing leftovers in", root);
    }
    return store;
  }

  /**
   * The store as the background writer thread runs it: the main thread's options, the thread's
   * fs, and a check of the main thread's lease (it never takes or releases it).
   */
  static async committerFor(config: WriterConfig, fs: DurableFs): Promise<CheckpointStoreImpl> {
    const storage = await storageFromSpec(config.storage, { fs });
    const ctx: StoreContext = {
      storage,
      dir: config.dir,
      readOnly: false,
      policy: resolveRetentionPolicy(config.keep),
      bestMetric: config.bestMetric,
      margin: config.diskMargin,
      autoPrune: config.autoPrune,
      lease: storage.leaseFor(config.lockToken),
    };
    return new CheckpointStoreImpl(ctx, { writer: "inline", maxFailedSaves: DEFAULT_MAX_FAILED_SAVES, config: undefined });
  }

  // ── writing ───────────────────────────────────────────────────────────────────────────────

  save(request: SaveRequest): Promise<SavedCheckpoint> {
    this.assertWritable("save()");
    const { req, stateBytes } = prepareSave(request);
    return this.saves.save(() => {
      this.assertOpen();
      return this.pipeline.commit(req, request.metadata, stateBytes);
    });
  }

  saveInBackground(request: SaveRequest): Promise<BackgroundSave> {
    this.assertWritable("saveInBackground()");
    const { req, stateBytes } = prepareSave(request);
    // Every tensor and metadata map checked now (the snapshot copies by these sizes): bad input throws here.
    let metadata: Record<string, Record<string, string>> | undefined;
    for (const [group, tensors] of req.groups) {
      const given = request.metadata?.[group];
      if (given !== undefined) (metadata ??= {})[group] = { ...given };
      checkTensorGroup(tensors, metadata?.[group]);
    }
    if (this.closing !== undefined) this.assertOpen(true);
    return this.saves.start(req, metadata, stateBytes);
  }

  /** Commit a background job's snapshot: what the writer thread and the inline writer run. */
  commitPrepared(job: BackgroundJob): Promise<SavedCheckpoint> {
    const groups = Object.entries(snapshotTensors(job.snapshot));
    this.assertOpen();
    return this.pipeline.commit({ kind: job.kind, step: job.step, epoch: job.epoch, metrics: job.metrics, groups }, job.metadata, job.stateBytes);
  }

  private makeWriter(): BackgroundWriter {
    const config = this.background.config;
    return this.background.writer === "worker" && config !== undefined
      ? new WorkerWriter(config)
      : { commit: (job) => this.commitPrepared(job), close: async () => undefined };
  }

  async flush(): Promise<void> {
    this.assertOpen();
    await this.saves.flush();
  }

  get backgroundStatus(): BackgroundSaveStatus {
    return this.saves.status;
  }

  get pendingError(): NbresumeError | undefined {
    return this.saves.pendingError;
  }

  prune(options: PruneOptions = {}): Promise<PruneResult> {
    this.assertOpen();
    const dryRun = this.readOnly || options.dryRun === true;
    if (dryRun) return this.pruner.plan(undefined, "fresh").then((plan) => ({ ...plan, dryRun: true, deleted: [] }));
    return this.saves.exclusive(async () => {
      const { plan, deleted, warnings } = await this.pruner.pruneNow(undefined, "fresh");
      if (warnings.length > 0) {
        throw new NbresumeError(CheckpointErrorCode.WRITE_FAILED, warnings.join(" "), { where: this.dir });
      }
      this.mirror?.pruned(deleted);
      return { ...plan, dryRun: false, deleted };
    });
  }

  async setAside(names: readonly string[], folder: string): Promise<string> {
    this.assertWritable("setAside()");
    return this.saves.exclusive(async () => {
      const { checkpoints } = await this.list();
      for (const name of names) {
        if (!checkpoints.some((c) => c.name === name))
          throw new NbresumeError(CheckpointErrorCode.NOT_FOUND, messages.notFound(name, this.dir, messages.noCheckpoints()), { where: this.dir });
      }
      const location = await this.ctx.storage.moveAside(names, folder);
      for (const name of names) this.index.forget(name);
      return location;
    });
  }

  async pointLatestAt(name: string): Promise<void> {
    this.assertWritable("pointLatestAt()");
    await this.saves.exclusive(() => this.ctx.storage.writeLatest(name));
  }

  /**
   * Point `latest` at the newest committed checkpoint when a crash between a commit and the
   * pointer's update left it naming an older one (or nothing). Newest by step and by time alike,
   * so a roll-back's pointer to an older step stays. Best effort: resolution never needs it.
   */
  private async repairLatest(checkpoints: readonly CheckpointInfo[]): Promise<void> {
    const valid = checkpoints.filter((c) => c.manifest !== undefined && (c.problems ?? []).length === 0);
    const newest = [...valid].sort(compareNewestFirst)[0];
    if (newest === undefined) return;
    const pointer = await this.ctx.storage.readLatest();
    const named = "name" in pointer ? valid.find((c) => c.name === pointer.name) : undefined;
    const behind = named === undefined || (compareNewestFirst(newest, named) < 0 && (newest.created ?? "") > (named.created ?? ""));
    if (!behind) return;
    await this.ctx.storage.writeLatest(newest.name).catch(() => undefined);
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────────

  async list(options: ListOptions = {}): Promise<CheckpointListing> {
    this.assertOpen();
    return this.listing.list(options);
  }

  async du(): Promise<DiskUsage> {
    this.assertOpen();
    return this.listing.du();
  }

  async latest(): Promise<{ name: string } | { problem: string }> {
    this.assertOpen();
    return this.ctx.storage.readLatest();
  }

  async contents(target: CheckpointTarget): Promise<CheckpointContents & { name: string; path: string }> {
    this.assertOpen();
    const location = await this.reading.targetLocation(target, false);
    const files = this.ctx.storage.files(location);
    return { name: files.name, path: location, ...(await readCheckpointContents(files)) };
  }

  async resolve(ref: string): Promise<ResolvedCheckpoint | undefined> {
    this.assertOpen();
    return this.reading.resolve(ref);
  }

  async resolveAndLoad(ref: string, options: LoadOptions = {}): Promise<LoadedCheckpoint | undefined> {
    this.assertOpen();
    return this.reading.resolveAndLoad(ref, options);
  }

  async load(target: CheckpointTarget, options: LoadOptions = {}): Promise<LoadedCheckpoint> {
    this.assertOpen();
    return this.reading.load(target, options);
  }

  async verify(target: CheckpointTarget): Promise<VerifyResult> {
    this.assertOpen();
    return this.reading.verify(target);
  }

  async readState(target: CheckpointTarget): Promise<CheckpointStateRecord> {
    this.assertOpen();
    const read = await this.reading.stateOf(target);
    return { name: read.name, path: read.location, step: read.manifest.step, manifest: read.manifest, state: read.state };
  }

  async diffConfig(target: CheckpointTarget, config: unknown): Promise<ConfigDiff> {
    return configDiff(await this.readState(target), config);
  }

  async resumeCommand(target: CheckpointTarget): Promise<ResumeInfo> {
    return resumeInfo(await this.readState(target));
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────────────────────

  close(): Promise<StoreClosed> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<StoreClosed> {
    await this.saves.idle();
    this.closed = true;
    this.closing = Promise.resolve({ warnings: [] }); // a later close() just resolves
    let unreported: NbresumeError | undefined;
    let mirror: MirrorClosed | undefined;
    try {
      unreported = await this.saves.close();
      mirror = await this.mirror?.close();
    } finally {
      this.unregisterBlobs();
      await this.ctx.lease?.release();
      await this.ctx.storage.close();
    }
    const closed: StoreClosed = { warnings: mirror?.warning === undefined ? [] : [mirror.warning], ...(mirror === undefined ? {} : { mirror }) };
    this.closing = Promise.resolve(closed);
    if (unreported) throw unreported;
    return closed;
  }

  private assertOpen(closing = false): void {
    if (this.closed || closing) throw new NbresumeError(CheckpointErrorCode.CLOSED, messages.closed(this.dir), { where: this.dir });
  }

  private assertWritable(operation: string): void {
    this.assertOpen();
    if (this.readOnly) throw new NbresumeError(CheckpointErrorCode.READ_ONLY, messages.readOnly(this.dir, operation), { where: this.dir });
  }
}

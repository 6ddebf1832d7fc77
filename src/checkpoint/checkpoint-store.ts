/**
 * The checkpoint store's implementation (the contract and the pipeline are in store.ts).
 * Each mechanism lives in its own file; this one sequences them:
 * lock.ts · durable-fs.ts · file-writer.ts · manifest.ts · state-file.ts · verify.ts ·
 * retention.ts · resolve.ts · disk-space.ts · messages.ts · dir-scan.ts · latest-pointer.ts ·
 * checkpoint-index.ts · expected-tensors.ts; background saves: snapshot.ts · save-outcomes.ts ·
 * background-writer.ts · worker-writer.ts (→ save-worker.ts).
 *
 * Everything in the run directory is untrusted, not only the bytes of the files: nothing is
 * followed through a symlink, nothing but a regular file is opened, every walk is bounded
 * (durable-fs.ts, dir-scan.ts), and a checkpoint that is or holds anything else is skipped like a
 * damaged one.
 */
import type { FileHandle } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { NbresumeError, isNbresumeError } from "../errors.js";
import type { TensorGroup } from "../tensor.js";
import type { BackgroundJob, BackgroundWriter, WriterConfig } from "./background-writer.js";
import { diffConfigs } from "./config-diff.js";
import { DEFAULT_DISK_MARGIN, ensureFreeSpace } from "./disk-space.js";
import { CheckpointIndex } from "./checkpoint-index.js";
import { scanCheckpointDir } from "./dir-scan.js";
import {
  type DurableFs, type FileHandleLike, type HandleStatLike, NotRegularFileError, errnoCode, fsyncDir, nodeFs, openRegularFile, readSmallFile,
  replaceFileAtomically, tempName, writeNewFileDurably,
} from "./durable-fs.js";
import { tensorMismatch } from "./expected-tensors.js";
import { type EndedFile, HashingFileWriter } from "./file-writer.js";
import { createHash, hashBytes } from "./hash.js";
import { NBRESUME_VERSION } from "./library-version.js";
import { readLatestPointer } from "./latest-pointer.js";
import { DirectoryLock, assertLockCurrent } from "./lock.js";
import { mapConcurrent } from "./map-concurrent.js";
import { FORMAT_VERSION, type Manifest, type ManifestFileEntry, manifestGroups, ownValue, serializeManifest } from "./manifest.js";
import { CheckpointErrorCode, badArgument, messages, summarizeProblems } from "./messages.js";
import {
  CHECKPOINT_KINDS, LATEST_FILE, LOCK_DIR, MANIFEST_FILE, STATE_FILE, checkpointDirName, groupFileName, groupOfFile,
  isCheckpointKind, isTempName, isValidGroupName, parseCheckpointDirName,
} from "./naming.js";
import { type ParsedRef, candidatesFor, parseRef } from "./resolve.js";
import { type ResolvedRetentionPolicy, compareNewestFirst, planRetention, resolveRetentionPolicy } from "./retention.js";
import { DEFAULT_MAX_FAILED_SAVES, SaveOutcomes } from "./save-outcomes.js";
import { checkTensorGroup, fileByteSource, readSafetensors, safetensorsLayout, writeSafetensors } from "./safetensors/index.js";
import { setOwn } from "./safetensors/own-record.js";
import { quoteCommand } from "./shell-quote.js";
import { SnapshotBuffer, snapshotTensors } from "./snapshot.js";
import { MAX_STATE_BYTES, parseState, serializeState, stateManifestMismatches } from "./state-file.js";
import type {
  BackgroundSave, BackgroundSaveStatus, BestMetric, CheckpointInfo, CheckpointKind, CheckpointListing, CheckpointProblem, CheckpointReader, CheckpointState,
  CheckpointStore, CheckpointStoreOptions, CheckpointTarget, ConfigDiff, DiskUsage, ExpectedTensors, KindTotal, ListOptions,
  LoadOptions, LoadedCheckpoint, Metrics, PruneOptions, PruneResult, ResolvedCheckpoint, ResumeInfo, RetentionPlan,
  SaveRequest, SavedCheckpoint, SkippedCheckpoint, VerifyResult,
} from "./store.js";
import { type DeepCheck, READ_CHUNK, checkDataFile, divergedProblems, readManifest, verifyCheckpointDir } from "./verify.js";
import { WorkerWriter } from "./worker-writer.js";

/** Checkpoints described at once by list() (each holds at most a file or two open). */
const LIST_CONCURRENCY = 8;
/**
 * A data file at least this large whose allocated blocks cover less than 1/8 of its size is mostly
 * holes (our writer writes every byte): it is hashed before anything is allocated from its header.
 */
const SPARSE_CHECK_BYTES = 64 * 1024 * 1024;

function emptyTotals(): Record<CheckpointKind, KindTotal> {
  return { rolling: { count: 0, bytes: 0 }, emergency: { count: 0, bytes: 0 }, epoch: { count: 0, bytes: 0 }, final: { count: 0, bytes: 0 } };
}

function label(step: number, kind: CheckpointKind): string {
  return `the ${kind} checkpoint of step ${step}`;
}

function validateBestMetric(value: unknown): BestMetric | undefined {
  if (value === undefined) return undefined;
  const v = value as Partial<BestMetric>;
  if (typeof value !== "object" || value === null || typeof v.name !== "string" || v.name.length === 0 || (v.mode !== "min" && v.mode !== "max")) {
    throw new TypeError(badArgument.bestMetric(value));
  }
  return { name: v.name, mode: v.mode };
}

function validateMetrics(metrics: unknown): Metrics {
  if (metrics === undefined) return {};
  if (typeof metrics !== "object" || metrics === null || Array.isArray(metrics)) {
    throw new TypeError(badArgument.metrics(metrics));
  }
  const out: Metrics = {};
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value !== "number") throw new TypeError(badArgument.metric(name, value));
    setOwn(out, name, value);
  }
  return out;
}

interface ValidRequest {
  kind: CheckpointKind;
  step: number;
  epoch: number;
  metrics: Metrics;
  groups: [string, TensorGroup][];
}

/** What the lock gives the save pipeline: the main thread's DirectoryLock, or the writer thread's check of it. */
interface WriterLock {
  assertHeld(): Promise<void>;
  /** Never rejects (lock.ts). */
  release(): Promise<unknown>;
}

interface BackgroundSetup {
  writer: "worker" | "inline";
  maxFailedSaves: number;
  /** For the worker writer (a writable store opened on node:fs). */
  config: WriterConfig | undefined;
}

function validateSaveRequest(req: SaveRequest): ValidRequest {
  if (typeof req !== "object" || req === null) throw new TypeError(badArgument.saveRequest());
  if (!isCheckpointKind(req.kind)) throw new TypeError(badArgument.kind(CHECKPOINT_KINDS, req.kind));
  if (typeof req.step !== "number" || !Number.isSafeInteger(req.step) || req.step < 0) throw new RangeError(badArgument.count("step", req.step));
  const epoch = req.epoch ?? 0;
  if (typeof epoch !== "number" || !Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(badArgument.count("epoch", req.epoch));
  if (typeof req.tensors !== "object" || req.tensors === null) throw new TypeError(badArgument.tensors());
  const groups = Object.entries(req.tensors);
  for (const [group, tensors] of groups) {
    if (!isValidGroupName(group)) {
      throw new TypeError(badArgument.groupName(group));
    }
    if (typeof tensors !== "object" || tensors === null) throw new TypeError(badArgument.group(group));
  }
  return { kind: req.kind, step: req.step, epoch, metrics: validateMetrics(req.metrics), groups };
}

/** Turn a failure while writing into the store's error; TypeError/RangeError and our own errors pass through. */
function saveError(error: unknown, dir: string, what: string, file: string, cleaned: boolean): unknown {
  if (error instanceof TypeError || error instanceof RangeError || isNbresumeError(error)) return error;
  const code = errnoCode(error);
  const shown = path.relative(dir, file) || file;
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new NbresumeError(CheckpointErrorCode.DISK_FULL, messages.diskFullDuringWrite(dir, what, shown), { where: file, cause: error });
  }
  const detail = code ?? (error instanceof Error ? error.message : String(error));
  return new NbresumeError(CheckpointErrorCode.WRITE_FAILED, messages.writeFailed(dir, what, shown, detail, cleaned), { where: file, cause: error });
}

/**
 * A failure while opening for writing, as the store's error: what failed on which path, why, and
 * what to do (a read-only directory can still be opened with { readOnly: true }).
 */
function openError(error: unknown, dir: string, what: string, file: string): unknown {
  if (error instanceof TypeError || error instanceof RangeError || isNbresumeError(error)) return error;
  const code = errnoCode(error);
  if (code === "EROFS" || code === "EACCES" || code === "EPERM") {
    return new NbresumeError(CheckpointErrorCode.DIR_NOT_WRITABLE, messages.notWritable(dir, what, file, code), { where: file, cause: error });
  }
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new NbresumeError(CheckpointErrorCode.DISK_FULL, messages.diskFullAtOpen(dir, file), { where: file, cause: error });
  }
  const detail = code ?? (error instanceof Error ? error.message : String(error));
  return new NbresumeError(CheckpointErrorCode.WRITE_FAILED, messages.openFailed(dir, what, file, detail), { where: file, cause: error });
}

/** Create `dir` (and its parents) unless it exists. */
async function ensureDirectory(fs: DurableFs, dir: string): Promise<void> {
  if ((await fs.stat(dir).catch(() => undefined))?.isDirectory()) return;
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (error) {
    if (errnoCode(error) !== "ENOENT") throw error;
    // A recursive mkdir under a read-only parent reports ENOENT: creating the first missing
    // directory with the plain call says why (EROFS, EACCES).
    let missing = dir;
    while (path.dirname(missing) !== missing && !(await fs.stat(path.dirname(missing)).then(() => true, () => false))) missing = path.dirname(missing);
    await fs.mkdir(missing);
    throw error;
  }
}

/** Memory a load may use: what the system has available (or the cgroup allows, if less). */
function availableMemory(): number {
  const free = os.freemem();
  const limit = typeof process.constrainedMemory === "function" ? process.constrainedMemory() : 0;
  return limit !== undefined && limit > 0 && limit < free ? limit : free;
}

/** Whether a file's allocated blocks cover far less than its size (mostly holes). */
function looksSparse(stat: HandleStatLike): boolean {
  return stat.size >= SPARSE_CHECK_BYTES && stat.blocks !== undefined && stat.blocks * 512 < stat.size / 8;
}

/** The cause of a load refused before allocating: not damage, so no deep check is needed to say why. */
class RefusedBeforeAllocating extends Error {
  constructor(readonly problems: CheckpointProblem[]) {
    super(summarizeProblems(problems));
  }
}

function refused(where: string, problems: CheckpointProblem[]): NbresumeError {
  return corrupt(where, problems, new RefusedBeforeAllocating(problems));
}

function corrupt(where: string, problems: CheckpointProblem[], cause?: unknown): NbresumeError {
  return new NbresumeError(CheckpointErrorCode.CORRUPT, messages.corrupt(where, problems), {
    where: problems[0] ? path.join(where, problems[0].file) : where,
    ...(cause === undefined ? {} : { cause }),
  });
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

export class CheckpointStoreImpl implements CheckpointStore {
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Saves and prunes run one at a time, in call order; a background save holds it until committed. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly outcomes: SaveOutcomes;
  private readonly snapshots = new SnapshotBuffer();
  private writer: BackgroundWriter | undefined;
  /** What the directory holds, kept across saves for the retention plan (writable stores). */
  private readonly index: CheckpointIndex;

  private constructor(
    readonly dir: string,
    readonly readOnly: boolean,
    private readonly fs: DurableFs,
    private readonly policy: ResolvedRetentionPolicy,
    private readonly bestMetric: BestMetric | undefined,
    private readonly margin: number,
    private readonly autoPrune: boolean,
    private readonly lock: WriterLock | undefined,
    private readonly background: BackgroundSetup,
  ) {
    this.outcomes = new SaveOutcomes(dir, background.maxFailedSaves, background.writer);
    this.index = new CheckpointIndex(fs, dir, (d) => this.describe(d));
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
    const fs = options.fs ?? nodeFs;
    const root = path.resolve(dir);
    const readOnly = options.readOnly === true;

    if (readOnly) {
      const stat = await fs.stat(root).catch(() => undefined);
      if (!stat?.isDirectory()) throw new NbresumeError(CheckpointErrorCode.DIR_MISSING, messages.dirMissing(root), { where: root });
      return new CheckpointStoreImpl(root, true, fs, policy, bestMetric, margin, false, undefined, { writer, maxFailedSaves, config: undefined });
    }
    try {
      await ensureDirectory(fs, root);
    } catch (error) {
      throw openError(error, root, "creating", root);
    }
    let lock: DirectoryLock;
    try {
      lock = await DirectoryLock.acquire(fs, root);
    } catch (error) {
      throw openError(error, root, "taking the writer lock in", path.join(root, LOCK_DIR));
    }
    const autoPrune = options.autoPrune ?? true;
    const config: WriterConfig = { dir: root, keep: options.keep, bestMetric, diskMargin: margin, autoPrune, lockToken: lock.holder.token };
    const store = new CheckpointStoreImpl(root, false, fs, policy, bestMetric, margin, autoPrune, lock, { writer, maxFailedSaves, config });
    try {
      await store.removeTempLeftovers();
      const { checkpoints } = await store.list();
      store.index.seed(checkpoints);
      await store.repairLatest(checkpoints);
    } catch (error) {
      await lock.release();
      throw openError(error, root, "removing leftovers in", root);
    }
    return store;
  }

  /**
   * The store as the background writer thread runs it: the main thread's options, the thread's
   * fs, and a lock check against the main thread's lock token (it never takes or releases the lock).
   */
  static committerFor(config: WriterConfig, fs: DurableFs): CheckpointStoreImpl {
    const lock: WriterLock = { assertHeld: () => assertLockCurrent(fs, config.dir, config.lockToken), release: async () => undefined };
    return new CheckpointStoreImpl(
      config.dir, false, fs, resolveRetentionPolicy(config.keep), config.bestMetric, config.diskMargin, config.autoPrune, lock,
      { writer: "inline", maxFailedSaves: DEFAULT_MAX_FAILED_SAVES, config: undefined },
    );
  }

  // ── writing ───────────────────────────────────────────────────────────────────────────────

  /** Validate, and serialize the state now: a bad state is the caller's error, before anything touches disk. */
  private prepare(request: SaveRequest): { req: ValidRequest; stateBytes: Uint8Array } {
    const req = validateSaveRequest(request);
    const stateBytes = serializeState(
      { kind: req.kind, step: req.step, epoch: req.epoch, metrics: req.metrics, nbresume: NBRESUME_VERSION },
      request.state,
    );
    return { req, stateBytes };
  }

  save(request: SaveRequest): Promise<SavedCheckpoint> {
    this.assertWritable("save()");
    const { req, stateBytes } = this.prepare(request);
    return this.exclusive(async () => {
      const unreported = this.outcomes.take();
      if (unreported) throw unreported;
      try {
        const saved = await this.commit(req, request.metadata, stateBytes);
        this.outcomes.committed(saved);
        return saved;
      } catch (error) {
        this.outcomes.foregroundFailed(error);
        throw error;
      }
    });
  }

  saveInBackground(request: SaveRequest): Promise<BackgroundSave> {
    this.assertWritable("saveInBackground()");
    const { req, stateBytes } = this.prepare(request);
    // Every tensor and metadata map checked now (the snapshot copies by these sizes): bad input throws here.
    let metadata: Record<string, Record<string, string>> | undefined;
    for (const [group, tensors] of req.groups) {
      const given = request.metadata?.[group];
      if (given !== undefined) (metadata ??= {})[group] = { ...given };
      checkTensorGroup(tensors, metadata?.[group]);
    }
    return this.startBackground(req, metadata, stateBytes);
  }

  /**
   * The save takes the next place in the queue at once; when its turn comes (the save before it
   * has settled) it reports an unreported failure or takes the snapshot, resolves the caller's
   * promise, and keeps the queue until its commit settles.
   */
  private startBackground(req: ValidRequest, metadata: BackgroundJob["metadata"], stateBytes: Uint8Array): Promise<BackgroundSave> {
    if (this.closing !== undefined) this.assertOpen(true);
    const t0 = performance.now();
    return new Promise<BackgroundSave>((resolveSave, rejectSave) => {
      const which = { name: checkpointDirName(req.step, req.kind), kind: req.kind, step: req.step };
      const started = { ok: false };
      const committed: Promise<SavedCheckpoint> = this.exclusive(async () => {
        const waitedMs = performance.now() - t0;
        const unreported = this.outcomes.take();
        if (unreported) {
          rejectSave(unreported);
          throw unreported;
        }
        const t1 = performance.now();
        const snapshot = this.snapshots.take(req.groups);
        const snapshotMs = performance.now() - t1;
        const job: BackgroundJob = { kind: req.kind, step: req.step, epoch: req.epoch, metrics: req.metrics, metadata, stateBytes, snapshot };
        this.outcomes.started(which);
        started.ok = true;
        resolveSave({ ...which, bytes: snapshot.layout.bytes, waitedMs, snapshotMs, committed });
        try {
          const saved = await this.backgroundWriter().commit(job);
          this.outcomes.committed(saved);
          // The writer thread committed and pruned: keep this store's index in step.
          this.index.committed(saved);
          for (const name of saved.pruned) this.index.forget(name);
          return saved;
        } catch (error) {
          this.outcomes.backgroundFailed(which, error);
          throw error;
        }
      });
      // The next call reports a failure; never an unhandled rejection. (A save that never
      // started rejected the caller's promise instead.)
      committed.catch((error: unknown) => {
        if (!started.ok) rejectSave(error);
      });
    });
  }

  /** Commit a background job's snapshot: what the writer thread and the inline writer run. */
  commitPrepared(job: BackgroundJob): Promise<SavedCheckpoint> {
    const groups = Object.entries(snapshotTensors(job.snapshot));
    return this.commit({ kind: job.kind, step: job.step, epoch: job.epoch, metrics: job.metrics, groups }, job.metadata, job.stateBytes);
  }

  private backgroundWriter(): BackgroundWriter {
    if (this.writer) return this.writer;
    const config = this.background.config;
    this.writer = this.background.writer === "worker" && config !== undefined
      ? new WorkerWriter(config)
      : { commit: (job) => this.commitPrepared(job), close: async () => undefined };
    return this.writer;
  }

  async flush(): Promise<void> {
    this.assertOpen();
    await this.idle();
    const unreported = this.outcomes.take();
    if (unreported) throw unreported;
  }

  get backgroundStatus(): BackgroundSaveStatus {
    return this.outcomes.status();
  }

  get pendingError(): NbresumeError | undefined {
    return this.outcomes.status().pendingError;
  }

  private async commit(req: ValidRequest, givenMetadata: SaveRequest["metadata"], stateBytes: Uint8Array): Promise<SavedCheckpoint> {
    this.assertOpen();
    const { kind, step, epoch, metrics, groups } = req;
    const name = checkpointDirName(step, kind);
    const finalDir = path.join(this.dir, name);
    const what = label(step, kind);
    // A damaged checkpoint of the same step and kind (resolve skipped it, training came back to
    // this step) is replaced by the new one; an intact one is never overwritten.
    let damaged: CheckpointProblem[] | undefined;
    if (await this.exists(finalDir)) {
      const check = await verifyCheckpointDir(this.fs, finalDir);
      if (check.problems.length === 0) {
        throw new NbresumeError(CheckpointErrorCode.EXISTS, messages.exists(finalDir, step, kind), { where: finalDir });
      }
      damaged = check.problems;
    }

    // 1. Exact sizes up front (layout validates every tensor), then the free-space check.
    const layouts = groups.map(([group, tensors]) => {
      const given = givenMetadata?.[group];
      const metadata = given === undefined ? undefined : { ...given };
      return { group, tensors, metadata, size: safetensorsLayout(tensors, metadata).fileSize };
    });
    const created = new Date().toISOString();
    const placeholder = "xxh64:0000000000000000";
    const sizedFiles: Record<string, ManifestFileEntry> = {};
    for (const l of layouts) sizedFiles[groupFileName(l.group)] = { bytes: l.size, hash: placeholder };
    sizedFiles[STATE_FILE] = { bytes: stateBytes.byteLength, hash: placeholder };
    const manifestBase = { format: FORMAT_VERSION, nbresume: NBRESUME_VERSION, kind, step, epoch, metrics, created };
    // Hashes have a fixed length, so the placeholder manifest has the real one's exact size.
    const manifestSize = serializeManifest({ ...manifestBase, files: sizedFiles }).byteLength;
    await ensureFreeSpace(this.fs, this.dir, [...Object.values(sizedFiles).map((f) => f.bytes), manifestSize], this.margin);

    // 2. Temp dir beside the final one; every file written, hashed, fsync'd; manifest last.
    const temp = path.join(this.dir, tempName(name));
    let current = temp;
    let aside: string | undefined;
    // fsync of each data file runs while the next one is written; all settle before the manifest.
    const pending: { file: string; durable: Promise<void> }[] = [];
    const allDurable = async (): Promise<void> => {
      for (const p of pending) {
        current = p.file;
        await p.durable;
      }
    };
    try {
      await this.fs.mkdir(temp);
      const files: Record<string, ManifestFileEntry> = {};
      for (const l of layouts) {
        const fileName = groupFileName(l.group);
        current = path.join(temp, fileName);
        const writer = await HashingFileWriter.create(this.fs, current);
        let ended: EndedFile;
        try {
          await writeSafetensors(writer, l.tensors, l.metadata);
          ended = await writer.end();
        } finally {
          await writer.abort();
        }
        pending.push({ file: current, durable: ended.durable });
        if (ended.bytes !== l.size) throw new Error(`${fileName}: wrote ${ended.bytes} bytes, layout said ${l.size}`);
        files[fileName] = { bytes: ended.bytes, hash: ended.hash };
      }
      current = path.join(temp, STATE_FILE);
      await writeNewFileDurably(this.fs, current, stateBytes);
      files[STATE_FILE] = { bytes: stateBytes.byteLength, hash: hashBytes(stateBytes) };
      await allDurable();
      const manifest: Manifest = { ...manifestBase, files };
      current = path.join(temp, MANIFEST_FILE);
      await writeNewFileDurably(this.fs, current, serializeManifest(manifest));
      current = temp;
      await fsyncDir(this.fs, temp);
      // 3. Still ours? Then the rename is the commit.
      await this.lock?.assertHeld();
      if (damaged) {
        aside = path.join(this.dir, tempName(`replaced-${name}`));
        await this.fs.rename(finalDir, aside);
      }
      current = finalDir;
      await this.fs.rename(temp, finalDir);
      const saved = await this.afterCommit(name, finalDir, manifest);
      if (aside !== undefined && damaged) {
        await this.fs.rm(aside).catch(() => undefined); // else removed on the next open
        saved.warnings.unshift(messages.replacedDamaged(finalDir, summarizeProblems(damaged)));
      }
      return saved;
    } catch (error) {
      if (current === finalDir && (await this.exists(finalDir))) throw error; // committed: never delete
      await Promise.allSettled(pending.map((p) => p.durable)); // no fsync may still run on a file we remove
      if (aside !== undefined) await this.fs.rename(aside, finalDir).catch(() => undefined); // put the damaged one back
      const cleaned = await this.fs.rm(temp).then(() => true, () => false);
      throw saveError(error, this.dir, what, current, cleaned);
    }
  }

  /** fsync the root (durability of the commit), point `latest` at it, prune. */
  private async afterCommit(name: string, finalDir: string, manifest: Manifest): Promise<SavedCheckpoint> {
    try {
      await fsyncDir(this.fs, this.dir);
    } catch (error) {
      throw new NbresumeError(CheckpointErrorCode.WRITE_FAILED, messages.commitNotDurable(finalDir, errnoCode(error) ?? String(error)), { where: finalDir, cause: error });
    }
    const warnings: string[] = [];
    try {
      await replaceFileAtomically(this.fs, path.join(this.dir, LATEST_FILE), new TextEncoder().encode(`${name}\n`));
    } catch (error) {
      warnings.push(messages.latestNotUpdated(name, errnoCode(error) ?? String(error)));
    }
    const bytes = Object.values(manifest.files).reduce((sum, f) => sum + f.bytes, 0) + serializeManifest(manifest).byteLength;
    const info: CheckpointInfo = {
      name, path: finalDir, kind: manifest.kind, step: manifest.step, epoch: manifest.epoch, metrics: manifest.metrics,
      created: manifest.created, bytes, groups: manifestGroups(manifest), manifest,
    };
    this.index.committed(info);
    let pruned: string[] = [];
    if (this.autoPrune) {
      const result = await this.pruneNow(name, "index");
      pruned = result.deleted;
      warnings.push(...result.warnings);
    }
    return { ...info, manifest, verified: true, problems: [], pruned, warnings };
  }

  prune(options: PruneOptions = {}): Promise<PruneResult> {
    this.assertOpen();
    const dryRun = this.readOnly || options.dryRun === true;
    if (dryRun) return this.plan(undefined, "fresh").then((plan) => ({ ...plan, dryRun: true, deleted: [] }));
    return this.exclusive(async () => {
      const { plan, deleted, warnings } = await this.pruneNow(undefined, "fresh");
      if (warnings.length > 0) {
        throw new NbresumeError(CheckpointErrorCode.WRITE_FAILED, warnings.join(" "), { where: this.dir });
      }
      return { ...plan, dryRun: false, deleted };
    });
  }

  /**
   * The retention plan; `verified` names a checkpoint known to verify (the one just saved). The
   * plan after a save reads the checkpoints from the index (a cost that does not grow with their
   * number); an explicit prune() and a dry run list afresh.
   */
  private async plan(verified: string | undefined, source: "index" | "fresh"): Promise<RetentionPlan> {
    const checkpoints = source === "index" ? await this.index.current() : (await this.list()).checkpoints;
    const newestVerified = await this.newestVerified(checkpoints, verified);
    const metric = this.bestMetric;
    return planRetention({
      checkpoints: checkpoints.map((c) => ({
        name: c.name, path: c.path, kind: c.kind, step: c.step, epoch: c.epoch, created: c.created,
        metric: metric && c.manifest ? (ownValue(c.manifest.metrics, metric.name) as number | undefined) : undefined,
      })),
      policy: this.policy,
      bestMetric: metric,
      latest: await this.readLatest().then((l) => l.name, () => undefined),
      newestVerified,
    });
  }

  private async newestVerified(checkpoints: CheckpointInfo[], known: string | undefined): Promise<string | undefined> {
    for (const c of [...checkpoints].sort(compareNewestFirst)) {
      if (c.name === known) return c.name;
      if (!c.manifest || c.problems?.some((p) => p.kind === "special")) continue;
      // Each checkpoint is deep-checked once per store, not once per save.
      const ok = this.index.verifiedState(c.name) ?? (await verifyCheckpointDir(this.fs, c.path)).problems.length === 0;
      this.index.noteVerified(c.name, ok);
      if (ok) return c.name;
    }
    return undefined;
  }

  /**
   * Delete what the plan drops. Each checkpoint is first renamed to a temp name (one atomic step
   * out of the listing), so a crash mid-delete leaves a temp dir, never a half-deleted checkpoint.
   */
  private async pruneNow(verified: string | undefined, source: "index" | "fresh"): Promise<{ plan: RetentionPlan; deleted: string[]; warnings: string[] }> {
    const warnings: string[] = [];
    let plan: RetentionPlan;
    try {
      plan = await this.plan(verified, source);
    } catch (error) {
      return { plan: { keep: [], delete: [] }, deleted: [], warnings: [messages.pruneFailed(this.dir, errnoCode(error) ?? String(error))] };
    }
    const doomed: { name: string; temp: string }[] = [];
    for (const c of plan.delete) {
      const temp = path.join(this.dir, tempName(`deleting-${c.name}`));
      try {
        await this.fs.rename(c.path, temp);
        doomed.push({ name: c.name, temp });
      } catch (error) {
        // Already gone (removed by hand): nothing to prune.
        if (errnoCode(error) !== "ENOENT") warnings.push(messages.pruneFailed(c.name, errnoCode(error) ?? String(error)));
      }
      this.index.forget(c.name);
    }
    if (doomed.length > 0) {
      await fsyncDir(this.fs, this.dir).catch(() => undefined);
      for (const d of doomed) await this.fs.rm(d.temp).catch(() => undefined); // leftovers go on the next open
    }
    return { plan, deleted: doomed.map((d) => d.name), warnings };
  }

  private async removeTempLeftovers(): Promise<void> {
    const names = await this.fs.readdir(this.dir);
    let removed = 0;
    for (const name of names) {
      if (!isTempName(name)) continue;
      // rm never follows a symlink: a `.tmp-…` link to elsewhere is removed, not what it names.
      await this.fs.rm(path.join(this.dir, name));
      removed++;
    }
    if (removed > 0) await fsyncDir(this.fs, this.dir);
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
    const pointer = await readLatestPointer(this.fs, this.dir);
    const named = "name" in pointer ? valid.find((c) => c.name === pointer.name) : undefined;
    const behind = named === undefined || (compareNewestFirst(newest, named) < 0 && (newest.created ?? "") > (named.created ?? ""));
    if (!behind) return;
    await replaceFileAtomically(this.fs, path.join(this.dir, LATEST_FILE), new TextEncoder().encode(`${newest.name}\n`)).catch(() => undefined);
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────────

  async list(options: ListOptions = {}): Promise<CheckpointListing> {
    this.assertOpen();
    const names = (await this.fs.readdir(this.dir)).filter((name) => parseCheckpointDirName(name));
    const described = await mapConcurrent(names, LIST_CONCURRENCY, async (name) => {
      const info = await this.describe(path.join(this.dir, name));
      if (!info) return undefined; // removed meanwhile (pruned by the writer)
      if (options.verify) {
        const check = await this.deepCheck(info.path, true);
        if (!check) return undefined;
        info.verified = check.problems.length === 0;
        info.problems = check.problems;
      }
      return info;
    });
    const checkpoints = described.filter((info): info is CheckpointInfo => info !== undefined);
    checkpoints.sort((a, b) => compareNewestFirst(b, a));
    const totals = emptyTotals();
    const total: KindTotal = { count: 0, bytes: 0 };
    for (const c of checkpoints) {
      totals[c.kind].count++;
      totals[c.kind].bytes += c.bytes;
      total.count++;
      total.bytes += c.bytes;
    }
    return { dir: this.dir, checkpoints, totals, total };
  }

  /** Whether `target` exists (a symlink counts, as itself: never followed). */
  private exists(target: string): Promise<boolean> {
    return this.fs.lstat(target).then(() => true, () => false);
  }

  /**
   * Verify a checkpoint; undefined if it vanished meanwhile (a writer pruned it while we read),
   * which is not damage.
   */
  private async deepCheck(dir: string, diverged = false): Promise<DeepCheck | undefined> {
    const check = await verifyCheckpointDir(this.fs, dir, { diverged });
    if (check.problems.length > 0 && !(await this.exists(dir))) return undefined;
    return check;
  }

  /**
   * What the manifest says about a checkpoint dir (no data read); undefined if the dir is gone. A
   * checkpoint that is a symlink or holds anything but regular files is listed with "special"
   * problems, its manifest never read.
   */
  private async describe(dir: string): Promise<CheckpointInfo | undefined> {
    const scan = await scanCheckpointDir(this.fs, dir);
    if (scan === undefined) return undefined;
    const name = path.basename(dir);
    const special = scan.problems.length > 0;
    const { manifest, problems } = special ? { manifest: undefined, problems: scan.problems } : await readManifest(this.fs, dir);
    const parsed = parseCheckpointDirName(name);
    const info: CheckpointInfo = {
      name,
      path: dir,
      kind: manifest?.kind ?? parsed?.kind ?? "rolling",
      step: manifest?.step ?? parsed?.step ?? 0,
      epoch: manifest?.epoch,
      metrics: manifest?.metrics ?? {},
      created: manifest?.created,
      bytes: scan.bytes,
      groups: manifest ? manifestGroups(manifest) : [],
      manifest,
    };
    if (parsed) {
      // Pools and ordering follow the name, which the manifest is checked against.
      info.kind = parsed.kind;
      info.step = parsed.step;
    }
    if (problems.length > 0) {
      info.verified = false;
      info.problems = problems;
    }
    return info;
  }

  async du(): Promise<DiskUsage> {
    this.assertOpen();
    const { totals, total } = await this.list();
    const temp = { count: 0, bytes: 0, names: [] as string[] };
    for (const name of await this.fs.readdir(this.dir)) {
      if (!isTempName(name)) continue;
      temp.count++;
      temp.bytes += (await scanCheckpointDir(this.fs, path.join(this.dir, name)))?.bytes ?? 0;
      temp.names.push(name);
    }
    return {
      dir: this.dir, kinds: totals, checkpoints: total, temp,
      total: { count: total.count + temp.count, bytes: total.bytes + temp.bytes },
    };
  }

  /** The name `latest` holds, validated; throws a message fragment when it is missing or bad. */
  private async readLatest(): Promise<{ name: string }> {
    const pointer = await readLatestPointer(this.fs, this.dir);
    if ("problem" in pointer) throw new Error(pointer.problem);
    return pointer;
  }

  async resolve(ref: string): Promise<ResolvedCheckpoint | undefined> {
    this.assertOpen();
    const parsed = parseRef(ref, this.dir);
    if (parsed.type === "path") {
      const info = await this.describe(parsed.path);
      if (!info) throw new NbresumeError(CheckpointErrorCode.NOT_FOUND, messages.notFound(ref, this.dir, `${parsed.path} does not exist`), { where: parsed.path });
      const check = await verifyCheckpointDir(this.fs, info.path);
      if (check.problems.length > 0 || !check.manifest) throw corrupt(info.path, check.problems);
      return { ...info, manifest: check.manifest, ref, verified: true, problems: [], skipped: [] };
    }
    const hit = await this.firstVerified<Manifest>(ref, parsed, async (candidate) => {
      const check = await this.deepCheck(candidate.path);
      if (!check) return undefined;
      const { manifest, problems } = check;
      return problems.length === 0 && manifest ? { value: manifest } : { problems };
    });
    return hit && { ...hit.candidate, manifest: hit.value, ref, verified: true, problems: [], skipped: hit.skipped };
  }

  async resolveAndLoad(ref: string, options: LoadOptions = {}): Promise<LoadedCheckpoint | undefined> {
    this.assertOpen();
    const parsed = parseRef(ref, this.dir);
    if (parsed.type === "path") {
      if (!(await this.exists(parsed.path))) {
        throw new NbresumeError(CheckpointErrorCode.NOT_FOUND, messages.notFound(ref, this.dir, `${parsed.path} does not exist`), { where: parsed.path });
      }
      return this.loadDir(parsed.path, options.expect);
    }
    const hit = await this.firstVerified(ref, parsed, (candidate) => this.tryLoadDir(candidate.path, options.expect));
    return hit && { ...hit.value, skipped: hit.skipped };
  }

  /**
   * The first of the ref's candidates that `attempt` accepts, with every candidate it found damaged
   * before it. `attempt` answers undefined for a candidate that vanished meanwhile (a writer pruned
   * it while we read), which is not damage. A candidate the listing found to be, or hold, a symlink
   * or other special file is skipped without reading it; auto, latest and best pass over a
   * checkpoint whose metrics are not finite (the run had diverged: resuming it fails again).
   * Undefined when "auto" has nothing to try; otherwise no accepted candidate throws
   * CHECKPOINT_CORRUPT (some were damaged) or CHECKPOINT_NOT_FOUND.
   */
  private async firstVerified<T>(
    ref: string,
    parsed: Exclude<ParsedRef, { type: "path" }>,
    attempt: (candidate: CheckpointInfo) => Promise<{ value: T } | { problems: CheckpointProblem[] } | undefined>,
  ): Promise<{ candidate: CheckpointInfo; value: T; skipped: SkippedCheckpoint[] } | undefined> {
    const { checkpoints } = await this.list();
    const skipped: SkippedCheckpoint[] = [];
    let latest: string | undefined;
    if (parsed.type === "latest") {
      try {
        latest = (await this.readLatest()).name;
        if (!checkpoints.some((c) => c.name === latest)) {
          skipped.push(this.pointerSkip(messages.latestProblem(`names ${latest}, which does not exist`)));
        }
      } catch (error) {
        skipped.push(this.pointerSkip((error as Error).message));
      }
    }
    const passOverDiverged = parsed.type !== "step";
    const order = candidatesFor(parsed, checkpoints, { latest, bestMetric: this.bestMetric });
    for (const candidate of order.candidates) {
      const special = (candidate.problems ?? []).filter((p) => p.kind === "special");
      const diverged = passOverDiverged ? divergedProblems(candidate.manifest) : [];
      const outcome = special.length > 0 ? { problems: special } : diverged.length > 0 ? { problems: diverged } : await attempt(candidate);
      if (outcome === undefined) continue;
      if ("value" in outcome) return { candidate, value: outcome.value, skipped };
      skipped.push({ name: candidate.name, path: candidate.path, problem: summarizeProblems(outcome.problems), problems: outcome.problems });
    }
    const damaged = skipped.filter((s) => s.problems.length > 0);
    if (damaged.length > 0) {
      throw new NbresumeError(CheckpointErrorCode.CORRUPT, messages.noneVerified(ref, this.dir, damaged), { where: damaged[0]?.path ?? this.dir });
    }
    if (parsed.type === "auto") return undefined; // an empty directory: a fresh start
    throw new NbresumeError(CheckpointErrorCode.NOT_FOUND, messages.notFound(ref, this.dir, order.emptyReason), { where: this.dir });
  }

  private pointerSkip(problem: string): SkippedCheckpoint {
    return { name: LATEST_FILE, path: path.join(this.dir, LATEST_FILE), problem, problems: [] };
  }

  /** The directory a target names, without verifying it (verify() and load() check it themselves). */
  private async targetDir(target: CheckpointTarget, verified: boolean): Promise<string> {
    if (typeof target === "object" && target !== null) {
      if (typeof target.path !== "string") throw new TypeError(badArgument.target());
      return target.path;
    }
    const parsed: ParsedRef = parseRef(target, this.dir);
    if (parsed.type === "path") return parsed.path;
    if (verified) {
      const hit = await this.resolve(target);
      if (!hit) throw new NbresumeError(CheckpointErrorCode.NOT_FOUND, messages.notFound(target, this.dir, messages.noCheckpoints()), { where: this.dir });
      return hit.path;
    }
    const { checkpoints } = await this.list();
    const latest = parsed.type === "latest" ? await this.readLatest().then((l) => l.name, () => undefined) : undefined;
    const order = candidatesFor(parsed, checkpoints, { latest, bestMetric: this.bestMetric });
    const first = order.candidates[0];
    if (!first) throw new NbresumeError(CheckpointErrorCode.NOT_FOUND, messages.notFound(target, this.dir, order.emptyReason), { where: this.dir });
    return first.path;
  }

  async verify(target: CheckpointTarget): Promise<VerifyResult> {
    this.assertOpen();
    const dir = await this.targetDir(target, false);
    if (!(await this.exists(dir))) {
      throw new NbresumeError(CheckpointErrorCode.NOT_FOUND, messages.notFound(String(typeof target === "string" ? target : dir), this.dir, `${dir} does not exist`), { where: dir });
    }
    const check = await verifyCheckpointDir(this.fs, dir, { diverged: true });
    return { name: path.basename(dir), path: dir, ok: check.problems.length === 0, problems: check.problems, bytes: check.bytes };
  }

  async load(target: CheckpointTarget, options: LoadOptions = {}): Promise<LoadedCheckpoint> {
    this.assertOpen();
    if (typeof target === "string" && parseRef(target, this.dir).type !== "path") {
      const loaded = await this.resolveAndLoad(target, options);
      if (!loaded) throw new NbresumeError(CheckpointErrorCode.NOT_FOUND, messages.notFound(target, this.dir, messages.noCheckpoints()), { where: this.dir });
      return loaded;
    }
    return this.loadDir(await this.targetDir(target, false), options.expect);
  }

  /**
   * A candidate loaded, or everything wrong with it as verify() reports it; undefined if it vanished.
   * The load's own hashing is the verification: a good checkpoint is read once.
   */
  private async tryLoadDir(dir: string, expect: ExpectedTensors | undefined): Promise<{ value: LoadedCheckpoint } | { problems: CheckpointProblem[] } | undefined> {
    try {
      return { value: await this.loadDir(dir, expect) };
    } catch (error) {
      if (!isNbresumeError(error, CheckpointErrorCode.CORRUPT)) throw error;
      // Refused for what the caller expects or the memory it would take: the files may be intact.
      if (error.cause instanceof RefusedBeforeAllocating) return { problems: error.cause.problems };
      // Damaged: the full report (every bad file, not only the first one the load met).
      const check = await this.deepCheck(dir);
      if (!check) return undefined;
      return { problems: check.problems.length > 0 ? check.problems : [{ file: path.relative(dir, error.where ?? dir), kind: "invalid", message: error.message }] };
    }
  }

  /** Read tensors + state of the checkpoint in `dir`, hashing every byte; CHECKPOINT_CORRUPT on any mismatch. */
  private async loadDir(dir: string, expect?: ExpectedTensors): Promise<LoadedCheckpoint> {
    const scan = await scanCheckpointDir(this.fs, dir);
    if (scan !== undefined && scan.problems.length > 0) throw corrupt(dir, scan.problems);
    const { manifest, problems } = await readManifest(this.fs, dir);
    if (!manifest || problems.length > 0) throw corrupt(dir, problems);
    const { state, problems: stateProblems } = await this.readState(dir, manifest);
    if (!state) throw corrupt(dir, stateProblems);
    this.checkLoadable(dir, manifest);
    const tensors: Record<string, TensorGroup> = {};
    const metadata: Record<string, Record<string, string>> = {};
    let buffer: Uint8Array | undefined;
    for (const [fileName, entry] of Object.entries(manifest.files)) {
      if (fileName === STATE_FILE) continue;
      const group = groupOfFile(fileName);
      if (group === undefined) {
        // Not ours to read, but listed: it must verify like the rest.
        const problem = await checkDataFile(this.fs, path.join(dir, fileName), fileName, entry, (buffer ??= new Uint8Array(READ_CHUNK)));
        if (problem) throw corrupt(dir, [problem]);
        continue;
      }
      const expected = expect !== undefined && Object.prototype.hasOwnProperty.call(expect, group) ? expect[group] : undefined;
      const file = await this.readGroup(dir, fileName, entry, expected);
      setOwn(tensors, group, file.tensors);
      setOwn(metadata, group, { ...file.metadata });
    }
    return {
      name: path.basename(dir), path: dir, kind: manifest.kind, step: manifest.step, epoch: manifest.epoch,
      metrics: manifest.metrics, created: manifest.created, tensors, metadata, state, manifest, skipped: [],
    };
  }

  /** Refuses, before anything is allocated, a checkpoint whose tensors would not fit in memory. */
  private checkLoadable(dir: string, manifest: Manifest): void {
    let needed = 0;
    let largest: string = STATE_FILE;
    let largestBytes = -1;
    for (const [name, entry] of Object.entries(manifest.files)) {
      if (name === STATE_FILE) continue;
      needed += entry.bytes;
      if (entry.bytes > largestBytes) [largest, largestBytes] = [name, entry.bytes];
    }
    const available = availableMemory();
    if (needed > available) {
      throw refused(dir, [{ file: largest, kind: "unreadable", message: messages.tooLargeToLoad(largest, needed, available) }]);
    }
  }

  /** Read one safetensors file, hashing every byte as the reader pulls it. */
  private async readGroup(
    dir: string, fileName: string, entry: ManifestFileEntry, expected: ExpectedTensors[string] | undefined,
  ): Promise<{ tensors: TensorGroup; metadata: Readonly<Record<string, string>> }> {
    const file = path.join(dir, fileName);
    let handle: FileHandleLike;
    let stat: HandleStatLike;
    try {
      ({ handle, stat } = await openRegularFile(this.fs, file));
    } catch (error) {
      const code = errnoCode(error);
      const problem: CheckpointProblem =
        code === "ENOENT" ? { file: fileName, kind: "missing", message: messages.fileMissing(fileName) }
        : error instanceof NotRegularFileError ? { file: fileName, kind: "special", message: messages.fileSpecial(fileName, error.kind) }
        : { file: fileName, kind: "unreadable", message: messages.fileUnreadable(fileName, code ?? String(error)) };
      throw corrupt(dir, [problem], error);
    }
    try {
      const { size } = stat;
      if (size !== entry.bytes) {
        throw corrupt(dir, [{ file: fileName, kind: "size", message: messages.fileSize(fileName, entry.bytes, size), expected: entry.bytes, actual: size }]);
      }
      const hash = createHash();
      let seen = 0;
      let result;
      try {
        // fileByteSource only calls read(), which every FileHandleLike has (a real FileHandle in production).
        result = await readSafetensors(fileByteSource(handle as unknown as FileHandle, size, file), {
          where: file,
          observe: (chunk: Uint8Array) => {
            hash.update(chunk);
            seen += chunk.byteLength;
          },
          beforeAllocate: async (header) => {
            const mismatch = expected === undefined ? undefined : tensorMismatch(expected, header.entries);
            if (mismatch !== undefined) {
              throw refused(dir, [{ file: fileName, kind: "mismatch", message: messages.unexpectedTensors(fileName, mismatch) }]);
            }
            // Mostly holes: prove the bytes are the ones written before allocating what the header asks for.
            if (looksSparse(stat)) {
              const problem = await checkDataFile(this.fs, file, fileName, entry, new Uint8Array(READ_CHUNK));
              if (problem) throw refused(dir, [problem]); // reported as is: no second pass over the holes
            }
          },
        });
      } catch (error) {
        if (isNbresumeError(error) && error.code === CheckpointErrorCode.CORRUPT) throw error;
        const detail = error instanceof Error ? error.message : String(error);
        throw corrupt(dir, [{ file: fileName, kind: "invalid", message: messages.fileInvalid(fileName, detail) }], error);
      }
      const actual = hash.digest();
      if (seen !== entry.bytes || actual !== entry.hash) {
        throw corrupt(dir, [{ file: fileName, kind: "hash", message: messages.fileHash(fileName, entry.hash, actual), expected: entry.hash, actual }]);
      }
      return result;
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /** state.json, size- and hash-checked against the manifest, validated, agreeing with it. */
  private async readState(dir: string, manifest: Manifest): Promise<{ state: CheckpointState | undefined; problems: CheckpointProblem[] }> {
    const entry = manifest.files[STATE_FILE];
    if (!entry) return { state: undefined, problems: [{ file: STATE_FILE, kind: "missing", message: messages.fileMissing(STATE_FILE) }] };
    let raw: Uint8Array;
    try {
      raw = await readSmallFile(this.fs, path.join(dir, STATE_FILE), MAX_STATE_BYTES);
    } catch (error) {
      const code = errnoCode(error);
      const problem: CheckpointProblem =
        code === "ENOENT" ? { file: STATE_FILE, kind: "missing", message: messages.fileMissing(STATE_FILE) }
        : error instanceof NotRegularFileError ? { file: STATE_FILE, kind: "special", message: messages.fileSpecial(STATE_FILE, error.kind) }
        : { file: STATE_FILE, kind: "unreadable", message: messages.fileUnreadable(STATE_FILE, code ?? String(error)) };
      return { state: undefined, problems: [problem] };
    }
    if (raw.byteLength !== entry.bytes) {
      return { state: undefined, problems: [{ file: STATE_FILE, kind: "size", message: messages.fileSize(STATE_FILE, entry.bytes, raw.byteLength), expected: entry.bytes, actual: raw.byteLength }] };
    }
    const actual = hashBytes(raw);
    if (actual !== entry.hash) {
      return { state: undefined, problems: [{ file: STATE_FILE, kind: "hash", message: messages.fileHash(STATE_FILE, entry.hash, actual), expected: entry.hash, actual }] };
    }
    let state: CheckpointState;
    try {
      state = parseState(raw);
    } catch (error) {
      return { state: undefined, problems: [{ file: STATE_FILE, kind: "invalid", message: (error as Error).message }] };
    }
    const mismatches = stateManifestMismatches(state, manifest);
    return mismatches.length > 0 ? { state: undefined, problems: mismatches } : { state, problems: [] };
  }

  /** state.json of a target, verified against its manifest (data files are not read). */
  private async stateOf(target: CheckpointTarget): Promise<{ dir: string; manifest: Manifest; state: CheckpointState }> {
    const dir = await this.targetDir(target, true);
    const scan = await scanCheckpointDir(this.fs, dir);
    if (scan !== undefined && scan.problems.length > 0) throw corrupt(dir, scan.problems);
    const { manifest, problems } = await readManifest(this.fs, dir);
    if (!manifest || problems.length > 0) throw corrupt(dir, problems);
    const { state, problems: stateProblems } = await this.readState(dir, manifest);
    if (!state) throw corrupt(dir, stateProblems);
    return { dir, manifest, state };
  }

  async diffConfig(target: CheckpointTarget, config: unknown): Promise<ConfigDiff> {
    this.assertOpen();
    const { state } = await this.stateOf(target);
    return diffConfigs(ownValue(state, "config"), config);
  }

  async resumeCommand(target: CheckpointTarget): Promise<ResumeInfo> {
    this.assertOpen();
    const { dir, manifest, state } = await this.stateOf(target);
    const raw = ownValue(state, "command");
    const argv = Array.isArray(raw) && raw.every((a) => typeof a === "string") ? (raw as string[]) : undefined;
    const command = argv ? quoteCommand(argv) : typeof raw === "string" ? raw : undefined;
    return { checkpoint: dir, step: manifest.step, argv, command, config: ownValue(state, "config") };
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────────────────────

  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    await this.idle();
    this.closed = true;
    this.closing = Promise.resolve(); // a later close() just resolves
    const unreported = this.outcomes.take();
    try {
      await this.writer?.close();
    } finally {
      this.snapshots.release();
      await this.lock?.release();
    }
    if (unreported) throw unreported;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Until every queued save and prune has finished (including any queued meanwhile). */
  private async idle(): Promise<void> {
    for (;;) {
      const queue = this.queue;
      await queue;
      if (queue === this.queue) return;
    }
  }

  private assertOpen(closing = false): void {
    if (this.closed || closing) throw new NbresumeError(CheckpointErrorCode.CLOSED, messages.closed(this.dir), { where: this.dir });
  }

  private assertWritable(operation: string): void {
    this.assertOpen();
    if (this.readOnly) throw new NbresumeError(CheckpointErrorCode.READ_ONLY, messages.readOnly(this.dir, operation), { where: this.dir });
  }
}

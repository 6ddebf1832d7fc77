/**
 * The checkpoint store's implementation (the contract and the pipeline are in store.ts).
 * Each mechanism lives in its own file; this one sequences them:
 * lock.ts · durable-fs.ts · file-writer.ts · manifest.ts · state-file.ts · verify.ts ·
 * retention.ts · resolve.ts · disk-space.ts · messages.ts; background saves: snapshot.ts ·
 * save-outcomes.ts · background-writer.ts · worker-writer.ts (→ save-worker.ts).
 */
import { constants as fsConstants } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import * as path from "node:path";
import { NbresumeError, isNbresumeError } from "../errors.js";
import type { TensorGroup } from "../tensor.js";
import type { BackgroundJob, BackgroundWriter, WriterConfig } from "./background-writer.js";
import { diffConfigs } from "./config-diff.js";
import { DEFAULT_DISK_MARGIN, ensureFreeSpace } from "./disk-space.js";
import {
  type DurableFs, errnoCode, fsyncDir, nodeFs, readSmallFile, replaceFileAtomically, tempName, writeNewFileDurably,
} from "./durable-fs.js";
import { type EndedFile, HashingFileWriter } from "./file-writer.js";
import { createHash, hashBytes } from "./hash.js";
import { NBRESUME_VERSION } from "./library-version.js";
import { DirectoryLock, assertLockCurrent } from "./lock.js";
import { mapConcurrent } from "./map-concurrent.js";
import { FORMAT_VERSION, type Manifest, type ManifestFileEntry, manifestGroups, serializeManifest } from "./manifest.js";
import { CheckpointErrorCode, badArgument, messages, summarizeProblems } from "./messages.js";
import {
  CHECKPOINT_KINDS, LATEST_FILE, MANIFEST_FILE, STATE_FILE, checkpointDirName, groupFileName, groupOfFile,
  isCheckpointKind, isTempName, isValidGroupName, parseCheckpointDirName,
} from "./naming.js";
import { type ParsedRef, candidatesFor, parseRef } from "./resolve.js";
import { type ResolvedRetentionPolicy, compareNewestFirst, planRetention, resolveRetentionPolicy } from "./retention.js";
import { DEFAULT_MAX_FAILED_SAVES, SaveOutcomes } from "./save-outcomes.js";
import { checkTensorGroup, fileByteSource, readSafetensors, safetensorsLayout, writeSafetensors } from "./safetensors/index.js";
import { quoteCommand } from "./shell-quote.js";
import { SnapshotBuffer, snapshotTensors } from "./snapshot.js";
import { MAX_STATE_BYTES, parseState, serializeState, stateManifestMismatches } from "./state-file.js";
import type {
  BackgroundSave, BackgroundSaveStatus, BestMetric, CheckpointInfo, CheckpointKind, CheckpointListing, CheckpointProblem, CheckpointReader, CheckpointState,
  CheckpointStore, CheckpointStoreOptions, CheckpointTarget, ConfigDiff, DiskUsage, KindTotal, ListOptions,
  LoadedCheckpoint, Metrics, PruneOptions, PruneResult, ResolvedCheckpoint, ResumeInfo, RetentionPlan,
  SaveRequest, SavedCheckpoint, SkippedCheckpoint, VerifyResult,
} from "./store.js";
import { type DeepCheck, READ_CHUNK, checkDataFile, readManifest, verifyCheckpointDir } from "./verify.js";
import { WorkerWriter } from "./worker-writer.js";

const MAX_LATEST_BYTES = 4096;
/** Checkpoints described at once by list() (each holds at most a file or two open). */
const LIST_CONCURRENCY = 8;

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
    out[name] = value;
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
  release(): Promise<void>;
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
    await fs.mkdir(root, { recursive: true });
    const lock = await DirectoryLock.acquire(fs, root);
    const autoPrune = options.autoPrune ?? true;
    const config: WriterConfig = { dir: root, keep: options.keep, bestMetric, diskMargin: margin, autoPrune, lockToken: lock.holder.token };
    const store = new CheckpointStoreImpl(root, false, fs, policy, bestMetric, margin, autoPrune, lock, { writer, maxFailedSaves, config });
    try {
      await store.removeTempLeftovers();
    } catch (error) {
      await lock.release().catch(() => undefined);
      throw error;
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
    if (await this.fs.stat(finalDir).then(() => true, () => false)) {
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
      if (current === finalDir && (await this.fs.stat(finalDir).then(() => true, () => false))) throw error; // committed: never delete
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
    let pruned: string[] = [];
    if (this.autoPrune) {
      const result = await this.pruneNow(name);
      pruned = result.deleted;
      warnings.push(...result.warnings);
    }
    const bytes = Object.values(manifest.files).reduce((sum, f) => sum + f.bytes, 0) + serializeManifest(manifest).byteLength;
    return {
      name, path: finalDir, kind: manifest.kind, step: manifest.step, epoch: manifest.epoch, metrics: manifest.metrics,
      created: manifest.created, bytes, groups: manifestGroups(manifest), manifest, verified: true, problems: [], pruned, warnings,
    };
  }

  prune(options: PruneOptions = {}): Promise<PruneResult> {
    this.assertOpen();
    const dryRun = this.readOnly || options.dryRun === true;
    if (dryRun) return this.plan(undefined).then((plan) => ({ ...plan, dryRun: true, deleted: [] }));
    return this.exclusive(async () => {
      const { plan, deleted, warnings } = await this.pruneNow(undefined);
      if (warnings.length > 0) {
        throw new NbresumeError(CheckpointErrorCode.WRITE_FAILED, warnings.join(" "), { where: this.dir });
      }
      return { ...plan, dryRun: false, deleted };
    });
  }

  /** The retention plan; `verified` names a checkpoint known to verify (the one just saved). */
  private async plan(verified: string | undefined): Promise<RetentionPlan> {
    const { checkpoints } = await this.list();
    const newestVerified = await this.newestVerified(checkpoints, verified);
    const metric = this.bestMetric;
    return planRetention({
      checkpoints: checkpoints.map((c) => ({
        name: c.name, path: c.path, kind: c.kind, step: c.step, epoch: c.epoch, created: c.created,
        metric: metric && c.manifest ? c.manifest.metrics[metric.name] : undefined,
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
      if (!c.manifest) continue;
      if ((await verifyCheckpointDir(this.fs, c.path)).problems.length === 0) return c.name;
    }
    return undefined;
  }

  /**
   * Delete what the plan drops. Each checkpoint is first renamed to a temp name (one atomic step
   * out of the listing), so a crash mid-delete leaves a temp dir, never a half-deleted checkpoint.
   */
  private async pruneNow(verified: string | undefined): Promise<{ plan: RetentionPlan; deleted: string[]; warnings: string[] }> {
    const warnings: string[] = [];
    let plan: RetentionPlan;
    try {
      plan = await this.plan(verified);
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
        warnings.push(messages.pruneFailed(c.name, errnoCode(error) ?? String(error)));
      }
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
      await this.fs.rm(path.join(this.dir, name));
      removed++;
    }
    if (removed > 0) await fsyncDir(this.fs, this.dir);
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────────

  async list(options: ListOptions = {}): Promise<CheckpointListing> {
    this.assertOpen();
    const names = (await this.fs.readdir(this.dir)).filter((name) => parseCheckpointDirName(name));
    const described = await mapConcurrent(names, LIST_CONCURRENCY, async (name) => {
      const info = await this.describe(path.join(this.dir, name));
      if (!info) return undefined; // removed meanwhile (pruned by the writer)
      if (options.verify) {
        const check = await this.deepCheck(info.path);
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

  /**
   * Verify a checkpoint; undefined if it vanished meanwhile (a writer pruned it while we read),
   * which is not damage.
   */
  private async deepCheck(dir: string): Promise<DeepCheck | undefined> {
    const check = await verifyCheckpointDir(this.fs, dir);
    if (check.problems.length > 0 && !(await this.fs.stat(dir).then(() => true, () => false))) return undefined;
    return check;
  }

  /** What the manifest says about a checkpoint dir (no data read); undefined if the dir is gone. */
  private async describe(dir: string): Promise<CheckpointInfo | undefined> {
    const bytes = await this.treeBytes(dir);
    if (bytes === undefined) return undefined;
    const name = path.basename(dir);
    const { manifest, problems } = await readManifest(this.fs, dir);
    const parsed = parseCheckpointDirName(name);
    const info: CheckpointInfo = {
      name,
      path: dir,
      kind: manifest?.kind ?? parsed?.kind ?? "rolling",
      step: manifest?.step ?? parsed?.step ?? 0,
      epoch: manifest?.epoch,
      metrics: manifest?.metrics ?? {},
      created: manifest?.created,
      bytes,
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

  /** Total bytes of the files under `target`; undefined if it does not exist. */
  private async treeBytes(target: string): Promise<number | undefined> {
    let stat;
    try {
      stat = await this.fs.stat(target);
    } catch {
      return undefined;
    }
    if (!stat.isDirectory()) return stat.size;
    const names = await this.fs.readdir(target).catch(() => [] as string[]);
    const sizes = await Promise.all(names.map((name) => this.treeBytes(path.join(target, name))));
    return sizes.reduce<number>((total, size) => total + (size ?? 0), 0);
  }

  async du(): Promise<DiskUsage> {
    this.assertOpen();
    const { totals, total } = await this.list();
    const temp = { count: 0, bytes: 0, names: [] as string[] };
    for (const name of await this.fs.readdir(this.dir)) {
      if (!isTempName(name)) continue;
      temp.count++;
      temp.bytes += (await this.treeBytes(path.join(this.dir, name))) ?? 0;
      temp.names.push(name);
    }
    return {
      dir: this.dir, kinds: totals, checkpoints: total, temp,
      total: { count: total.count + temp.count, bytes: total.bytes + temp.bytes },
    };
  }

  /** The name `latest` holds, validated; throws a message fragment when it is missing or bad. */
  private async readLatest(): Promise<{ name: string }> {
    let raw: Uint8Array;
    try {
      raw = await readSmallFile(this.fs, path.join(this.dir, LATEST_FILE), MAX_LATEST_BYTES);
    } catch (error) {
      throw new Error(messages.latestProblem(errnoCode(error) === "ENOENT" ? "is missing" : `is unreadable (${errnoCode(error) ?? String(error)})`));
    }
    const name = new TextDecoder().decode(raw).trim();
    if (!parseCheckpointDirName(name)) throw new Error(messages.latestProblem(`holds ${JSON.stringify(name.slice(0, 80))}, not a checkpoint name`));
    return { name };
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

  async resolveAndLoad(ref: string): Promise<LoadedCheckpoint | undefined> {
    this.assertOpen();
    const parsed = parseRef(ref, this.dir);
    if (parsed.type === "path") {
      if (!(await this.fs.stat(parsed.path).then((st) => st.isDirectory(), () => false))) {
        throw new NbresumeError(CheckpointErrorCode.NOT_FOUND, messages.notFound(ref, this.dir, `${parsed.path} does not exist`), { where: parsed.path });
      }
      return this.loadDir(parsed.path);
    }
    const hit = await this.firstVerified(ref, parsed, (candidate) => this.tryLoadDir(candidate.path));
    return hit && { ...hit.value, skipped: hit.skipped };
  }

  /**
   * The first of the ref's candidates that `attempt` accepts, with every candidate it found damaged
   * before it. `attempt` answers undefined for a candidate that vanished meanwhile (a writer pruned
   * it while we read), which is not damage. Undefined when "auto" has nothing to try; otherwise no
   * accepted candidate throws CHECKPOINT_CORRUPT (some were damaged) or CHECKPOINT_NOT_FOUND.
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
    const order = candidatesFor(parsed, checkpoints, { latest, bestMetric: this.bestMetric });
    for (const candidate of order.candidates) {
      const outcome = await attempt(candidate);
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
    if (!(await this.fs.stat(dir).then((s) => s.isDirectory(), () => false))) {
      throw new NbresumeError(CheckpointErrorCode.NOT_FOUND, messages.notFound(String(typeof target === "string" ? target : dir), this.dir, `${dir} does not exist`), { where: dir });
    }
    const check = await verifyCheckpointDir(this.fs, dir);
    return { name: path.basename(dir), path: dir, ok: check.problems.length === 0, problems: check.problems, bytes: check.bytes };
  }

  async load(target: CheckpointTarget): Promise<LoadedCheckpoint> {
    this.assertOpen();
    if (typeof target === "string" && parseRef(target, this.dir).type !== "path") {
      const loaded = await this.resolveAndLoad(target);
      if (!loaded) throw new NbresumeError(CheckpointErrorCode.NOT_FOUND, messages.notFound(target, this.dir, messages.noCheckpoints()), { where: this.dir });
      return loaded;
    }
    return this.loadDir(await this.targetDir(target, false));
  }

  /**
   * A candidate loaded, or everything wrong with it as verify() reports it; undefined if it vanished.
   * The load's own hashing is the verification: a good checkpoint is read once.
   */
  private async tryLoadDir(dir: string): Promise<{ value: LoadedCheckpoint } | { problems: CheckpointProblem[] } | undefined> {
    try {
      return { value: await this.loadDir(dir) };
    } catch (error) {
      if (!isNbresumeError(error, CheckpointErrorCode.CORRUPT)) throw error;
      // Damaged: the full report (every bad file, not only the first one the load met).
      const check = await this.deepCheck(dir);
      if (!check) return undefined;
      return { problems: check.problems.length > 0 ? check.problems : [{ file: path.relative(dir, error.where ?? dir), kind: "invalid", message: error.message }] };
    }
  }

  /** Read tensors + state of the checkpoint in `dir`, hashing every byte; CHECKPOINT_CORRUPT on any mismatch. */
  private async loadDir(dir: string): Promise<LoadedCheckpoint> {
    const { manifest, problems } = await readManifest(this.fs, dir);
    if (!manifest || problems.length > 0) throw corrupt(dir, problems);
    const { state, problems: stateProblems } = await this.readState(dir, manifest);
    if (!state) throw corrupt(dir, stateProblems);
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
      const file = await this.readGroup(dir, fileName, entry);
      tensors[group] = file.tensors;
      metadata[group] = { ...file.metadata };
    }
    return {
      name: path.basename(dir), path: dir, kind: manifest.kind, step: manifest.step, epoch: manifest.epoch,
      metrics: manifest.metrics, created: manifest.created, tensors, metadata, state, manifest, skipped: [],
    };
  }

  /** Read one safetensors file, hashing every byte as the reader pulls it. */
  private async readGroup(dir: string, fileName: string, entry: ManifestFileEntry): Promise<{ tensors: TensorGroup; metadata: Readonly<Record<string, string>> }> {
    const file = path.join(dir, fileName);
    let handle;
    try {
      handle = await this.fs.open(file, fsConstants.O_RDONLY);
    } catch (error) {
      const missing = errnoCode(error) === "ENOENT";
      throw corrupt(dir, [{ file: fileName, kind: missing ? "missing" : "unreadable", message: missing ? messages.fileMissing(fileName) : messages.fileUnreadable(fileName, errnoCode(error) ?? String(error)) }], error);
    }
    try {
      const { size } = await handle.stat();
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
      const missing = errnoCode(error) === "ENOENT";
      return { state: undefined, problems: [{ file: STATE_FILE, kind: missing ? "missing" : "unreadable", message: missing ? messages.fileMissing(STATE_FILE) : messages.fileUnreadable(STATE_FILE, errnoCode(error) ?? String(error)) }] };
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
    const { manifest, problems } = await readManifest(this.fs, dir);
    if (!manifest || problems.length > 0) throw corrupt(dir, problems);
    const { state, problems: stateProblems } = await this.readState(dir, manifest);
    if (!state) throw corrupt(dir, stateProblems);
    return { dir, manifest, state };
  }

  async diffConfig(target: CheckpointTarget, config: unknown): Promise<ConfigDiff> {
    this.assertOpen();
    const { state } = await this.stateOf(target);
    return diffConfigs(state.config, config);
  }

  async resumeCommand(target: CheckpointTarget): Promise<ResumeInfo> {
    this.assertOpen();
    const { dir, manifest, state } = await this.stateOf(target);
    const raw = state.command;
    const argv = Array.isArray(raw) && raw.every((a) => typeof a === "string") ? (raw as string[]) : undefined;
    const command = argv ? quoteCommand(argv) : typeof raw === "string" ? raw : undefined;
    return { checkpoint: dir, step: manifest.step, argv, command, config: state.config };
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

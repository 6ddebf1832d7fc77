/**
 * The checkpoint store: the interface (types + contracts). checkpoint-store.ts implements it;
 * store-factory.ts exports `CheckpointStore.open`, the factory, bound to that implementation.
 *
 * ```
 * save:    check space → .tmp-… dir → write + hash + fsync each file → state.json → manifest.json
 *          → fsync dir → lock still ours? → rename to ckpt-step-…-<kind> → fsync root
 *          → replace `latest` → prune by policy
 * resolve: candidates for the ref (newest first / best first / one named) → verify each file's
 *          size and hash → first that verifies, with every skipped one and why
 * load:    read each file through the safetensors reader, hashing every byte on the way
 *          → compare with the manifest → check state.json agrees with it
 * saveInBackground: wait for the save in flight → report its failure, if any → copy every tensor
 *          into the snapshot buffer → return; the save pipeline above then runs on the snapshot in
 *          a worker thread (or inline) while training goes on
 * ```
 *
 * Background saves (durability rules):
 * - At most one save is in flight. A new save()/saveInBackground() waits for it (never coalesced,
 *   never dropped: each requested checkpoint is either committed or its failure reported), so
 *   memory stays at one snapshot; choose a checkpoint interval longer than one save.
 * - `latest` moves, and `committed` resolves, only once the checkpoint is renamed into place and
 *   the root directory is fsync'd. A crash before that leaves only a `.tmp-…` directory, removed
 *   on the next writable open; the previous checkpoint stays the newest.
 * - A failed background save is reported by the next save()/saveInBackground()/flush()/close(),
 *   which rejects with CHECKPOINT_BACKGROUND_SAVE_FAILED (`cause`: the save's own error) — or
 *   CHECKPOINT_SAVES_FAILING once `maxFailedSaves` saves failed in a row: stop training then.
 *   `backgroundStatus` shows it at any time (for a progress display).
 * - flush() before relying on the newest checkpoint: at the end of a run, on interrupt (then
 *   save() the emergency checkpoint: synchronous), before exiting.
 *
 * Where: DIR is a local directory (`DIR/ckpt-step-00012000-rolling/{model,optimizer,…}.safetensors,
 * state.json, manifest.json`, `DIR/latest`, `DIR/.lock/`, `DIR/.tmp-…` uncommitted, removed on open)
 * or `s3://bucket/prefix` (the same names as object keys; a checkpoint exists once its manifest
 * does, and the manifest is written last): storage/storage.ts is the seam, storage/local and
 * storage/s3 the two built in. With `mirror: "s3://…"` a local store uploads each committed
 * checkpoint in the background, applies retention there too, and an empty local directory starts
 * from the newest checkpoint in the bucket that verifies (mirror.ts).
 */
import type { NbresumeError } from "../errors.js";
import type { ConfigDiff } from "../shared/config-diff.js";
import type { DType, TensorGroup } from "../tensor.js";
import type { DurableFs } from "./durable-fs.js";
import type { Manifest } from "./manifest.js";
import type { S3Options } from "./storage/s3/s3-options.js";
import type { BlobStore } from "./storage/storage.js";
import type { CheckpointKind } from "./naming.js";
import type { CheckpointProblem } from "./checkpoint-problem.js";
import type { Metrics } from "./metrics.js";
import type { BackgroundSaveStatus, MirrorClosed, MirrorStatus, StoreClosed } from "./store-status.js";

/** One of CHECKPOINT_KINDS (naming.ts spells them once). */
export type { CheckpointKind, CheckpointProblem, Metrics };
export type { BackgroundSaveStatus, MirrorClosed, MirrorStatus, StoreClosed };

/**
 * Which checkpoint: "auto" (newest verified of any kind), "latest" (what the `latest` pointer
 * names), "best" / "best-previous" (first / second by the best metric), `step:N`, or a path to
 * a checkpoint directory.
 */
export type CheckpointRef = "auto" | "latest" | "best" | "best-previous" | `step:${number}` | (string & {});

/** Metric values. Non-finite values (a diverged loss) are stored as JSON null and read back as NaN. */

export interface RetentionPolicy {
  /** Newest rolling checkpoints kept. Default 5. */
  rolling?: number;
  /** Newest emergency checkpoints kept, a pool of its own so interrupts never push out rolling ones. Default 5. */
  emergency?: number;
  /** Top-K checkpoints (any kind) by `bestMetric`. K ≥ 2 keeps the runner-up for "best-previous". Default 3. */
  best?: number;
  /** Epoch checkpoints kept: all of them, or those whose epoch is a multiple of `every`. Default "all". */
  epoch?: "all" | { every: number };
}

export interface BestMetric {
  name: string;
  mode: "min" | "max";
}

export interface CheckpointStoreOptions {
  keep?: RetentionPolicy;
  /** The metric "best" ranks by. Without it there is no best pool and "best" refs fail. */
  bestMetric?: BestMetric;
  /** Open without the writer lock, change nothing on disk (list, verify, inspect, du, dry-run prune). */
  readOnly?: boolean;
  /** Free bytes to leave on the filesystem beyond a checkpoint's own size. Default 16 MiB. */
  diskMargin?: number;
  /** Prune by policy after each committed save. Default true. */
  autoPrune?: boolean;
  /** File-system operations; tests inject faults through this. Default: node:fs. */
  fs?: DurableFs;
  /**
   * Who commits background saves: "worker" (a worker thread does the whole write, hash, fsync,
   * rename, `latest` and prune, at disk speed whatever the training loop does; the default) or
   * "inline" (async I/O driven from this thread: it advances only while this thread's event loop
   * turns, about one operation per training step). With a custom `fs`, "inline" (the default then;
   * functions cannot cross to a worker).
   */
  backgroundWriter?: "worker" | "inline";
  /** Saves failed in a row after which the failure is reported as CHECKPOINT_SAVES_FAILING (stop training). Default 3. */
  maxFailedSaves?: number;
  /**
   * A second copy on object storage (`s3://bucket/prefix`) of a local store: each committed
   * checkpoint (and the blobs beside them) uploaded in the background, retention applied there too,
   * and a local directory with no checkpoint newer than the bucket's starts from the newest one in
   * the bucket that verifies. Writable local stores only. Progress and failures: backgroundStatus.mirror.
   */
  mirror?: string;
  /** Settings for s3:// locations and mirrors, beside what the environment and AWS profiles say (S3Options). */
  s3?: S3Options;
}

export interface SaveRequest {
  kind: CheckpointKind;
  /** Training step, a safe integer ≥ 0. One checkpoint per step and kind. */
  step: number;
  /** Epoch, an integer ≥ 0. Default 0. */
  epoch?: number;
  /**
   * Named tensor groups, each written to `<group>.safetensors`. save(): do not mutate the tensors
   * until it resolves. saveInBackground(): free to change once its promise resolves (copied).
   */
  tensors: Readonly<Record<string, TensorGroup>>;
  /** The caller's JSON state (RNG, data cursor, loss history, `config`, `command`, …). */
  state?: object;
  metrics?: Metrics;
  /** safetensors `__metadata__` per group (string → string). */
  metadata?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface CheckpointInfo {
  /** Directory name, e.g. "ckpt-step-00012000-rolling". */
  name: string;
  /** Absolute path of the checkpoint directory. */
  path: string;
  kind: CheckpointKind;
  step: number;
  /** From the manifest; undefined when the manifest is unreadable. */
  epoch: number | undefined;
  metrics: Metrics;
  /** ISO time the checkpoint was written; undefined when the manifest is unreadable. */
  created: string | undefined;
  /** Bytes of the checkpoint's files (manifest included) as found on disk. */
  bytes: number;
  /** Tensor groups, from the manifest. */
  groups: string[];
  /** The validated manifest, or undefined when it is missing or invalid (see `problems`). */
  manifest: Manifest | undefined;
  /** Set by a deep check (list({ verify: true }), verify, resolve): every file's size and hash match. */
  verified?: boolean;
  /** What is wrong: always set when the manifest is unreadable, after a deep check otherwise. */
  problems?: CheckpointProblem[];
}

export interface KindTotal {
  count: number;
  bytes: number;
}

export interface CheckpointListing {
  dir: string;
  /** Every committed checkpoint, oldest first (by step, then created time). */
  checkpoints: CheckpointInfo[];
  totals: Record<CheckpointKind, KindTotal>;
  total: KindTotal;
}

export interface DiskUsage {
  dir: string;
  kinds: Record<CheckpointKind, KindTotal>;
  checkpoints: KindTotal;
  /** Uncommitted leftovers of interrupted saves (`.tmp-…`; removed on the next writable open). */
  temp: KindTotal & { names: string[] };
  /** Checkpoints set aside by a roll-back (`rolled-back-…/` folders, kept until deleted by hand). */
  setAside: KindTotal & { names: string[] };
  /** Checkpoints, leftovers and set-aside folders together. */
  total: KindTotal;
  /** The filesystem the directory is on, as df counts it; undefined on object storage. */
  filesystem: { size: number; used: number; available: number } | undefined;
}

export interface SkippedCheckpoint {
  name: string;
  path: string;
  /** One line naming the bad file(s), e.g. "model.safetensors: hash xxh64:… expected, xxh64:… found". */
  problem: string;
  problems: CheckpointProblem[];
}

/** A checkpoint that verified, and every newer candidate that did not. */
export interface ResolvedCheckpoint extends CheckpointInfo {
  ref: string;
  manifest: Manifest;
  verified: true;
  /** Candidates passed over because they failed verification, in the order tried. */
  skipped: SkippedCheckpoint[];
}

/** What state.json holds: the caller's state plus the fields the store writes. */
export interface CheckpointState {
  format: number;
  nbresume: string;
  kind: CheckpointKind;
  step: number;
  epoch: number;
  metrics: Metrics;
  [key: string]: unknown;
}

export interface LoadedCheckpoint {
  name: string;
  path: string;
  kind: CheckpointKind;
  step: number;
  epoch: number;
  metrics: Metrics;
  created: string;
  tensors: Record<string, TensorGroup>;
  /** safetensors `__metadata__` per group. */
  metadata: Record<string, Record<string, string>>;
  state: CheckpointState;
  manifest: Manifest;
  /** Newer candidates of the ref passed over because they failed verification (none for a path). */
  skipped: SkippedCheckpoint[];
}

export interface VerifyResult {
  name: string;
  path: string;
  ok: boolean;
  problems: CheckpointProblem[];
  /** Bytes read and hashed. */
  bytes: number;
}

export interface PlannedCheckpoint {
  name: string;
  path: string;
  kind: CheckpointKind;
  step: number;
  /** Why it is kept (every policy that keeps it) or why it goes (which pool it fell out of). */
  reasons: string[];
}

export interface RetentionPlan {
  keep: PlannedCheckpoint[];
  delete: PlannedCheckpoint[];
}

export interface PruneOptions {
  /** Only compute the plan. Default false for a writable store; a read-only store only plans. */
  dryRun?: boolean;
}

export interface PruneResult extends RetentionPlan {
  dryRun: boolean;
  /** Names actually deleted (empty for a dry run). */
  deleted: string[];
}

export interface SavedCheckpoint extends CheckpointInfo {
  manifest: Manifest;
  verified: true;
  /** Names pruned by policy after this save committed. */
  pruned: string[];
  /** Non-fatal trouble after the commit (the `latest` pointer or pruning failed); the checkpoint is safe. */
  warnings: string[];
}

/** A background save whose snapshot is taken; the commit goes on meanwhile. */
export interface BackgroundSave {
  /** The checkpoint directory's name once committed. */
  name: string;
  kind: CheckpointKind;
  step: number;
  /** Tensor bytes copied into the snapshot. */
  bytes: number;
  /** Milliseconds the call waited for the save before it (0 when none was in flight). */
  waitedMs: number;
  /** Milliseconds spent copying the tensors (the call's own cost to the training loop). */
  snapshotMs: number;
  /**
   * Resolves once the checkpoint is committed and durable and `latest` names it; rejects with the
   * save's own error (also reported by the next call, see CheckpointStore). Never left unhandled.
   */
  committed: Promise<SavedCheckpoint>;
}

/** What the caller's model holds: per group, each tensor's dtype and shape. */
export type ExpectedTensors = Readonly<Record<string, Readonly<Record<string, { readonly dtype: DType; readonly shape: readonly number[] }>>>>;

export interface LoadOptions {
  /**
   * The tensors the caller's model expects, per group (give only the groups to check). A candidate
   * whose group has another tensor, dtype or shape is refused before any tensor is allocated (a
   * 10 GiB sparse file then costs nothing) and, for a ref, skipped like a damaged one.
   */
  expect?: ExpectedTensors;
}

export interface ListOptions {
  /** Read and hash every file of every checkpoint. Default false (manifests only). */
  verify?: boolean;
}

export type { ConfigDiff, ConfigPath } from "../shared/config-diff.js";

export interface ResumeInfo {
  checkpoint: string;
  step: number;
  /** The run's command line as state.command stored it (argv form), if it did. */
  argv: string[] | undefined;
  /** The same, quoted for a POSIX shell. */
  command: string | undefined;
  /** state.config, if the run stored one. */
  config: unknown;
}

export type CheckpointTarget = CheckpointRef | CheckpointInfo;

export interface TensorSummary {
  name: string;
  dtype: DType;
  shape: number[];
  elements: number;
  bytes: number;
}

export interface GroupContents {
  group: string;
  file: string;
  /** Tensors by name. Empty when the header could not be read. */
  tensors: TensorSummary[];
  elements: number;
  /** Bytes of tensor data. */
  tensorBytes: number;
  metadata: Record<string, string>;
}

/** What a checkpoint holds, from its headers, state.json and manifest (no tensor data read). */
export interface CheckpointContents {
  manifest: Manifest | undefined;
  groups: GroupContents[];
  /** state.json as it is (not checked against the manifest: `problems` says what is wrong). */
  state: CheckpointState | undefined;
  /** Every part that could not be read, naming its file. */
  problems: CheckpointProblem[];
}

/** A checkpoint's state.json, verified against its manifest (data files not read). */
export interface CheckpointStateRecord {
  name: string;
  path: string;
  step: number;
  manifest: Manifest;
  state: CheckpointState;
}

/** Everything that only reads: what a read-only open returns. */
export interface CheckpointReader {
  /** An absolute directory, or `s3://bucket/prefix`. */
  readonly dir: string;
  readonly readOnly: boolean;
  /** Small files beside the checkpoints, by name (the model's graphs, previews): on any storage. */
  readonly blobs: BlobStore;
  list(options?: ListOptions): Promise<CheckpointListing>;
  du(): Promise<DiskUsage>;
  /** The name `latest` holds, or why it holds none (missing, not a checkpoint name, a symlink…). */
  latest(): Promise<{ name: string } | { problem: string }>;
  /**
   * What the checkpoint a target names holds, read without tensor data (headers, state.json, the
   * manifest); a ref takes its first candidate as it is (no verification: a damaged one is shown
   * with its problems). Use resolve() first for the checkpoint a rerun would use.
   */
  contents(target: CheckpointTarget): Promise<CheckpointContents & { name: string; path: string }>;
  /**
   * The checkpoint a ref names, verified (every file's size and hash). auto/latest/best fall back
   * to the next candidate that verifies and report what they skipped; "auto" returns undefined when
   * the directory holds no checkpoint at all (a fresh start). Explicit refs (step:N, a path) and
   * refs with no verified candidate throw CHECKPOINT_NOT_FOUND / CHECKPOINT_CORRUPT.
   */
  resolve(ref: CheckpointRef): Promise<ResolvedCheckpoint | undefined>;
  /**
   * Read tensors + state, hashing every byte while reading. A ref falls back as resolve() does, each
   * candidate read once (verified by that read); a path or listed checkpoint throws
   * CHECKPOINT_CORRUPT on any mismatch. A checkpoint larger than the memory available, or not
   * matching `options.expect`, is refused before its tensors are allocated; a file that is mostly
   * holes (sparse) is hashed before anything is allocated from what its header says.
   */
  load(target: CheckpointTarget, options?: LoadOptions): Promise<LoadedCheckpoint>;
  /** load(ref), or undefined where resolve(ref) gives undefined ("auto" in an empty directory). */
  resolveAndLoad(ref: CheckpointRef, options?: LoadOptions): Promise<LoadedCheckpoint | undefined>;
  /**
   * Deep-check one checkpoint (no fallback): the first candidate of the ref. Every file's size and
   * hash, each safetensors file's format, state.json against the manifest, no special entries,
   * and finite metrics (a "diverged" problem otherwise).
   */
  verify(target: CheckpointTarget): Promise<VerifyResult>;
  /** The retention plan; a read-only store always plans only. */
  prune(options?: PruneOptions): Promise<PruneResult>;
  /**
   * The checkpoint's state.json, verified against its manifest (a ref resolved as resolve() does;
   * data files not read). What the run recorded there is the run's to interpret.
   */
  readState(target: CheckpointTarget): Promise<CheckpointStateRecord>;
  /** Compare the checkpoint's state.config with `config` (readState + diffConfigs). */
  diffConfig(target: CheckpointTarget, config: unknown): Promise<ConfigDiff>;
  /** The command and config that continue the run from this checkpoint (readState + state.command). */
  resumeCommand(target: CheckpointTarget): Promise<ResumeInfo>;
  /**
   * Release the lock (writable stores) after pending saves finish, stop the background writer;
   * rejects with an unreported background failure (after releasing). Idempotent. Releasing needs no
   * free space: on a full disk the lock file is removed instead of recording the release, and if
   * even that fails this process still treats the lock as released, so a new open() here works.
   * A mirror's uploads are waited for a bounded time (mirror.ts; backgroundStatus.mirror.closing
   * says how long meanwhile); a mirror left behind does not reject: the result's `warnings` and
   * `mirror.notUploaded` say what is not in the bucket, and the next open with the mirror uploads it.
   */
  close(): Promise<StoreClosed>;
}

/** A writable store: holds the directory's writer lock from open() until close(). */
export interface CheckpointStore extends CheckpointReader {
  /**
   * Commit a checkpoint atomically, then point `latest` at it and prune by policy. Throws
   * CHECKPOINT_EXISTS if an intact checkpoint of the same step and kind exists; a damaged one
   * (it fails verification) is replaced, with a warning.
   */
  save(request: SaveRequest): Promise<SavedCheckpoint>;
  /**
   * Waits for the save in flight, copies the tensors and returns: the commit (the same pipeline
   * and guarantees as save()) runs in the background; `committed` tells when it is durable.
   * Rejects, without saving, with an unreported background failure (see the rules above).
   * Argument errors throw at once, as save()'s do.
   */
  saveInBackground(request: SaveRequest): Promise<BackgroundSave>;
  /**
   * Waits for the save in flight; rejects with an unreported background failure. Call it at the
   * end of a run, on interrupt and before exiting. close() flushes too.
   */
  flush(): Promise<void>;
  /** The background save in flight, an unreported failure, failures in a row. */
  readonly backgroundStatus: BackgroundSaveStatus;
  /** The unreported background failure, if any (the same as backgroundStatus.pendingError). */
  readonly pendingError: NbresumeError | undefined;
  /**
   * Move committed checkpoints out of the listing into `folder` beside them (kept, not deleted:
   * delete the folder to free the space, move one back to undo); returns the folder's location.
   */
  setAside(names: readonly string[], folder: string): Promise<string>;
  /** Point `latest` at the checkpoint `name` (a roll-back's target). */
  pointLatestAt(name: string): Promise<void>;
}

export interface CheckpointStoreFactory {
  /** Open read-only: no lock, nothing changes on disk. The directory must exist. */
  open(dir: string, options: CheckpointStoreOptions & { readOnly: true }): Promise<CheckpointReader>;
  /**
   * Open for writing: create the directory if needed, take the writer lock (CHECKPOINT_LOCKED
   * names the holder if another process or another open in this process has it; a lock left by
   * a dead process on this host is taken over), remove `.tmp-…` leftovers, and point `latest` at
   * the newest committed checkpoint if a crash left it behind. A directory that cannot be written
   * throws CHECKPOINT_DIR_NOT_WRITABLE (open it read-only instead), a full disk CHECKPOINT_DISK_FULL.
   */
  open(dir: string, options?: CheckpointStoreOptions): Promise<CheckpointStore>;
}

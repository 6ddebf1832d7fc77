/**
 * Every user-facing message of the checkpoint store, and the error codes. Tests assert against
 * these same functions, so wording can change in one place. checkpointMessages is one catalog in
 * two files: this one and bucket-messages.ts (object storage, its lease and the mirror).
 */
import { bucketMessages } from "./bucket-messages.js";
import { mib, sentence, holderText, type LockHolderView } from "./message-parts.js";
import { CHECKPOINT_KINDS } from "./naming.js";
import type { CheckpointProblem } from "./checkpoint-problem.js";
import type { CheckpointKind } from "./naming.js";

/** "a, b, c or d" */
function orList(items: readonly string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

export const CheckpointErrorCode = {
  /** Another writer holds the directory's lock. */
  LOCKED: "CHECKPOINT_LOCKED",
  /** A lock file exists but cannot be read as one. */
  LOCK_UNREADABLE: "CHECKPOINT_LOCK_UNREADABLE",
  /**
   * Our lock (a directory's lock, a bucket prefix's lease) was taken from us: nothing was written.
   * Permanent: once a save failed with it, every later save fails with it at once. Stop training.
   */
  LOCK_LOST: "CHECKPOINT_LOCK_LOST",
  /** Not enough free space for the next checkpoint, or the disk filled while writing. */
  DISK_FULL: "CHECKPOINT_DISK_FULL",
  /** Writing a checkpoint failed (I/O error); nothing partial is visible. */
  WRITE_FAILED: "CHECKPOINT_WRITE_FAILED",
  /** A checkpoint for this step and kind already exists. */
  EXISTS: "CHECKPOINT_EXISTS",
  /** The ref names nothing. */
  NOT_FOUND: "CHECKPOINT_NOT_FOUND",
  /** The checkpoint failed verification (size, hash, structure, state/manifest agreement). */
  CORRUPT: "CHECKPOINT_CORRUPT",
  /** The directory to open read-only does not exist (in a bucket: nothing under the prefix). */
  DIR_MISSING: "CHECKPOINT_DIR_MISSING",
  /** The bucket of an s3:// location does not exist or cannot be seen with these credentials: a wrong name or endpoint, not "no run yet". */
  BUCKET_MISSING: "CHECKPOINT_BUCKET_MISSING",
  /** The directory cannot be written (read-only mount, immutable, no permission): open it read-only. */
  DIR_NOT_WRITABLE: "CHECKPOINT_DIR_NOT_WRITABLE",
  /** The store was closed. */
  CLOSED: "CHECKPOINT_STORE_CLOSED",
  /** The operation needs a writable store. */
  READ_ONLY: "CHECKPOINT_READ_ONLY",
  /** A background save failed; reported by the next save()/saveInBackground()/flush(); `cause` is why. */
  BACKGROUND_SAVE_FAILED: "CHECKPOINT_BACKGROUND_SAVE_FAILED",
  /** As BACKGROUND_SAVE_FAILED, and saves have now failed maxFailedSaves times in a row: stop training. */
  SAVES_FAILING: "CHECKPOINT_SAVES_FAILING",
  /** A request to object storage kept failing (network, throttling, 5xx) after every retry. */
  REMOTE_FAILED: "CHECKPOINT_REMOTE_FAILED",
  /** Object storage refused the credentials or the permission (403). */
  REMOTE_DENIED: "CHECKPOINT_REMOTE_DENIED",
  /** A listing of object storage is far larger than any run nbresume writes: refused, not walked. */
  REMOTE_LISTING_TOO_LARGE: "CHECKPOINT_REMOTE_LISTING_TOO_LARGE",
  /**
   * The mirror's uploads failed. No longer thrown: close() resolves with the mirror's warning
   * (StoreClosed.warnings, MirrorStatus.notUploaded) instead; kept so code that matches it compiles.
   */
  MIRROR_FAILED: "CHECKPOINT_MIRROR_FAILED",
} as const;

export type CheckpointErrorCodeValue = (typeof CheckpointErrorCode)[keyof typeof CheckpointErrorCode];

export type { LockHolderView };

export const checkpointMessages = {
  locked(dir: string, holder: LockHolderView, sameProcess: boolean): string {
    if (sameProcess) {
      return (
        `Checkpoint directory ${dir} is already open for writing in this process (${holderText(holder)}). ` +
        `Only one writer per directory: call close() on the other CheckpointStore first ` +
        `(in a notebook, the store a previous cell opened), or open it with { readOnly: true } to only read.`
      );
    }
    return (
      `Checkpoint directory ${dir} is locked by another writer: ${holderText(holder)}. ` +
      `Only one process may write checkpoints to a directory: stop that process or use another directory. ` +
      `If it already ended on another host, delete ${dir}/.lock by hand.`
    );
  },
  lockNotDirectory(lock: string, kind: string): string {
    return (
      `The checkpoint lock ${lock} is ${kind}, not a directory, so nbresume will not write lock records ` +
      `there or remove anything in it. If no process is writing to this directory, remove it (rm ${lock}) and open again.`
    );
  },
  lockUnreadable(file: string, detail: string): string {
    return (
      `The checkpoint lock file ${file} is unreadable (${detail}). If no process is writing to this ` +
      `directory, delete the .lock directory beside it and open again.`
    );
  },
  lockContended(dir: string): string {
    return `Could not take the checkpoint lock of ${dir}: other processes kept taking it at the same moment. Try again.`;
  },
  lockLost(dir: string, holder: LockHolderView | undefined): string {
    const who = holder ? ` It is now held by ${holderText(holder)}.` : " Its lock file is gone.";
    return (
      `This store no longer holds the writer lock of ${dir}, so the checkpoint was not committed.${who} ` +
      `Make sure only one process writes to this directory, then open the store again.`
    );
  },
  /** A save failed because the writer lease was taken over: permanent, every later save fails the same way. */
  leaseLostStop(detail: string): string {
    return (
      `${sentence(detail)} Stop training: this store can save no more checkpoints (another writer holds it now; ` +
      `each later save fails at once with this error, writing nothing). The checkpoints committed before are intact.`
    );
  },
  diskFull(dir: string, needed: number, checkpointBytes: number, margin: number, available: number): string {
    return (
      `Not enough free space to save a checkpoint in ${dir}: needs ${mib(needed)} ` +
      `(${mib(checkpointBytes)} for the checkpoint + ${mib(margin)} margin), ${mib(available)} available. ` +
      `Free space, prune old checkpoints (nbresume prune ${dir} --yes), or keep fewer (keep: { rolling, emergency, best }).`
    );
  },
  diskFullDuringWrite(dir: string, label: string, file: string): string {
    return (
      `The disk filled up while saving ${label} in ${dir} (writing ${file}). The partial checkpoint was removed ` +
      `and every earlier checkpoint is intact. Free space, prune old checkpoints, or keep fewer.`
    );
  },
  writeFailed(dir: string, label: string, file: string, detail: string, cleaned: boolean): string {
    return (
      `Saving ${label} in ${dir} failed at ${file}: ${detail}. ` +
      (cleaned
        ? "The partial checkpoint was removed and every earlier checkpoint is intact."
        : "The partial checkpoint could not be removed now; it is never listed and the next writable open removes it.")
    );
  },
  backgroundSaveFailed(what: string, detail: string, failures: number, limit: number): string {
    return (
      `The background save of ${what} failed: ${sentence(detail)} ` +
      `Every earlier checkpoint is intact; the next save tries again ` +
      `(${failures} of ${limit} failures in a row allowed before training should stop).`
    );
  },
  /** `bucket`: the store is on object storage (what to check is the service, not a disk). */
  savesFailing(dir: string, failures: number, what: string, detail: string, bucket = false): string {
    const fix = bucket
      ? `Fix the cause (the bucket or its endpoint cannot be reached or refuses the writes: check the network, the endpoint ` +
        `(AWS_ENDPOINT_URL_S3) and the credentials; the checkpoints already in the bucket are intact)`
      : `Fix the cause (free disk space, check the directory)`;
    return (
      `${failures} checkpoint saves in a row failed in ${dir}; the last, of ${what}: ${sentence(detail)} ` +
      `Stop training: progress is no longer being saved. ${fix}, then rerun to resume from the last committed checkpoint.`
    );
  },
  writerStopped(dir: string, detail: string): string {
    return (
      `The background checkpoint writer for ${dir} stopped (${detail}); the save in flight was not committed ` +
      `and every earlier checkpoint is intact. The next background save starts a new writer.`
    );
  },
  commitNotDurable(path: string, detail: string): string {
    return (
      `The checkpoint ${path} was renamed into place but syncing its parent directory failed (${detail}); ` +
      `it may not survive a power loss. Check the disk, then save again under a new step.`
    );
  },
  exists(path: string, step: number, kind: CheckpointKind): string {
    return (
      `A ${kind} checkpoint for step ${step} already exists: ${path}. Each step is saved once per kind: ` +
      `resume from it, save under another step, or delete it first.`
    );
  },
  replacedDamaged(path: string, problem: string): string {
    return `Replaced the damaged checkpoint ${path} (${problem}) with the one just saved.`;
  },
  latestNotUpdated(name: string, detail: string): string {
    return `Checkpoint ${name} is committed, but the latest pointer could not be updated (${detail}).`;
  },
  pruneFailed(name: string, detail: string): string {
    return `Pruning ${name} failed (${detail}); it stays until the next prune.`;
  },
  notWritable(dir: string, what: string, file: string, code: string): string {
    return (
      `Checkpoint directory ${dir} cannot be written: ${what} ${file} failed with ${code}` +
      `${code === "EROFS" ? " (a read-only filesystem)" : code === "EPERM" || code === "EACCES" ? " (no permission, or the directory is immutable)" : ""}. ` +
      `Open it with { readOnly: true } to list, verify and load its checkpoints (nothing can be saved then), ` +
      `or copy the run to a writable place and resume there.`
    );
  },
  diskFullAtOpen(dir: string, file: string): string {
    return (
      `Checkpoint directory ${dir} cannot be opened for writing: the disk is full (ENOSPC creating ${file} to take the writer lock). ` +
      `Free space or prune old checkpoints (nbresume prune ${dir} --yes once there is room), or open it with { readOnly: true } to only read.`
    );
  },
  openFailed(dir: string, what: string, file: string, detail: string): string {
    return `Checkpoint directory ${dir} cannot be opened for writing: ${what} ${file} failed (${detail}). Check the directory, or open it with { readOnly: true } to only read.`;
  },
  /** `bucket`: an s3:// prefix (no such thing as a missing directory there: it holds nothing). */
  dirMissing(dir: string, bucket = false): string {
    return bucket
      ? `${dir} holds no objects: no run has saved checkpoints under this prefix. Check the bucket and the prefix (the dir or mirror the run was given), and the endpoint (AWS_ENDPOINT_URL_S3).`
      : `Checkpoint directory ${dir} does not exist.`;
  },
  closed(dir: string): string {
    return `The checkpoint store for ${dir} is closed; open it again.`;
  },
  readOnly(dir: string, operation: string): string {
    return `The checkpoint store for ${dir} was opened read-only; ${operation} needs CheckpointStore.open(dir) without readOnly.`;
  },
  notFound(ref: string, dir: string, detail: string): string {
    return `No checkpoint matches "${ref}" in ${dir}: ${detail}.`;
  },
  noneVerified(ref: string, dir: string, skipped: readonly { name: string; problem: string }[]): string {
    const list = skipped.map((s) => `${s.name} (${s.problem})`).join("; ");
    return (
      `No checkpoint for "${ref}" in ${dir} verifies: ${list}. Nothing was loaded. ` +
      `Inspect with nbresume verify ${dir}; move the damaged directories away to start fresh.`
    );
  },
  corrupt(path: string, problems: readonly CheckpointProblem[]): string {
    return `Checkpoint ${path} failed verification: ${summarizeProblems(problems)}.`;
  },
  skipped(name: string, problem: string, fallback: string | undefined): string {
    return fallback === undefined
      ? `Checkpoint ${name} is damaged (${problem}); no older checkpoint verifies.`
      : `Checkpoint ${name} is damaged (${problem}); using ${fallback} instead.`;
  },
  noCheckpoints(): string {
    return "the directory holds no checkpoint";
  },
  noStep(step: number): string {
    return `no checkpoint of step ${step}`;
  },
  noBestMetric(): string {
    return "no best metric is configured (open the store with bestMetric: { name, mode })";
  },
  noBestCandidate(metric: string, rank: number): string {
    return rank === 1 ? `no checkpoint has the metric "${metric}"` : `fewer than ${rank} checkpoints have the metric "${metric}"`;
  },
  latestProblem(detail: string): string {
    return `the latest pointer ${detail}`;
  },
  latestNotName(text: string | undefined, bytes: number): string {
    // Only short printable text is echoed: the pointer is untrusted, and its bytes are nobody's business.
    return text === undefined ? `holds ${bytes} bytes that are not a checkpoint name` : `holds ${JSON.stringify(text)}, not a checkpoint name`;
  },
  latestSpecial(kind: string): string {
    return `is ${kind}, not a regular file (never followed or opened)`;
  },

  // Problems found while verifying one checkpoint (each names its file).
  fileMissing(file: string): string {
    return `${file}: missing`;
  },
  fileSize(file: string, expected: number, actual: number): string {
    return `${file}: ${expected} bytes expected, ${actual} found (truncated or overwritten)`;
  },
  fileHash(file: string, expected: string, actual: string): string {
    return `${file}: hash ${expected} expected, ${actual} found (the bytes changed)`;
  },
  fileUnreadable(file: string, detail: string): string {
    return `${file}: unreadable (${detail})`;
  },
  fileInvalid(file: string, detail: string): string {
    return `${file}: ${detail}`;
  },
  fileSpecial(file: string, kind: string): string {
    return `${file}: ${kind}, not a regular file (never followed or opened)`;
  },
  checkpointSpecial(name: string, kind: string): string {
    return `${name}: ${kind}, not a checkpoint directory (never followed out of the run directory)`;
  },
  holdsSpecial(entry: string, kind: string): string {
    return `${entry}: ${kind} inside the checkpoint (never followed; a checkpoint holds only regular files)`;
  },
  tooManyEntries(limit: number): string {
    return `the checkpoint holds more than ${limit} entries (not sized or read further; not a checkpoint nbresume wrote)`;
  },
  tooLargeToLoad(file: string, needed: number, available: number): string {
    return `${file}: loading the checkpoint needs ${mib(needed)} of memory, only ${mib(available)} is available (refused before allocating)`;
  },
  unexpectedTensors(file: string, detail: string): string {
    return `${file}: ${detail} (refused before allocating)`;
  },
  diverged(metrics: readonly string[]): string {
    return (
      `${metrics.join(", ")} ${metrics.length === 1 ? "is" : "are"} not finite: training had diverged when this checkpoint was saved ` +
      `(auto, latest and best resolution pass over it; name it, e.g. step:N, to use it anyway)`
    );
  },
  /** One tensor's share of NaN/Inf values, for parametersNotFinite(). */
  nonFiniteTensor(tensor: string, bad: number, count: number): string {
    return `${tensor}: ${bad} of ${count} values`;
  },
  /** Float tensors holding NaN or infinite values: intact bytes, unusable numbers. */
  parametersNotFinite(tensors: readonly string[]): string {
    const more = tensors.length - 3;
    const shown = more > 0 ? [...tensors.slice(0, 3), `${more} more tensor${more === 1 ? "" : "s"}`] : tensors;
    return (
      `NaN or infinite values (${shown.join("; ")}): training had diverged when this checkpoint was saved ` +
      `(the bytes are intact, the numbers are not: resume from an older checkpoint)`
    );
  },
  stateMismatch(field: string, inState: unknown, inManifest: unknown): string {
    return `state.json: ${field} is ${JSON.stringify(inState)} but the manifest says ${JSON.stringify(inManifest)}`;
  },
  nameMismatch(name: string, field: string, value: unknown): string {
    return `manifest.json: ${field} ${JSON.stringify(value)} does not match the directory name ${name}`;
  },
  ...bucketMessages,
} as const;

/** "model.safetensors: …; state.json: …" — the files named first, as people scan for them. */
export function summarizeProblems(problems: readonly CheckpointProblem[]): string {
  return problems.map((p) => p.message).join("; ");
}

/** Why a manifest.json or state.json is invalid: the detail after "<file>: ". */
export const invalidContent = {
  notUtf8: () => "not valid UTF-8",
  notJson: (detail: string) => `not valid JSON (${detail})`,
  tooDeep: (limit: number) => `nested more than ${limit} levels deep (not a file nbresume writes)`,
  notObject: () => "not a JSON object",
  tooLarge: (bytes: number, limit: number) => `${bytes} bytes, over the ${limit} limit`,
  unknownField: (key: string) => `unknown field "${key}"`,
  missingField: (key: string) => `field "${key}" is missing`,
  unsupportedFormat: (format: unknown, supported: number) =>
    `format ${JSON.stringify(format)} is not supported (this nbresume reads format ${supported}; a newer nbresume may read it)`,
  notVersion: () => "nbresume must be a version string",
  badKind: (kind: unknown) => `kind ${JSON.stringify(kind)} is not ${orList(CHECKPOINT_KINDS)}`,
  notCount: (field: string, value: unknown) => `${field} ${JSON.stringify(value)} is not an integer ≥ 0`,
  missing: (field: string) => `${field} is missing`,
  metricsNotObject: () => "metrics must be an object of numbers",
  badMetric: (name: string, value: unknown) => `metric "${name}" must be a number or null, not ${JSON.stringify(value)}`,
  badCreated: (value: unknown) => `created ${JSON.stringify(value)} is not an ISO 8601 UTC time`,
  filesNotObject: () => "files must be an object",
  tooManyFiles: (count: number, limit: number) => `lists ${count} files, over the ${limit} limit`,
  badFileName: (name: string) => `lists "${name}", which is neither state.json nor <group>.safetensors`,
  badFileEntry: (name: string) => `the entry for "${name}" must be exactly { "bytes": integer ≥ 0, "hash": "xxh64:<16 hex>" }`,
  noStateFile: () => "does not list state.json",
  badChecksumField: () => 'checksum must be "xxh64:<16 hex>"',
  checksumMismatch: (expected: string, actual: string) => `checksum ${expected} expected, ${actual} found (the manifest changed)`,
  notCanonical: () => "not in its canonical form (edited by hand?)",
  wrongStateFormat: (format: unknown, supported: number) => `format ${JSON.stringify(format)} is not ${supported}`,
} as const;

/** TypeError / RangeError texts for bad arguments at the API boundary. */
export const badArgument = {
  dir: (dir: unknown) => `CheckpointStore.open: dir must be a non-empty path, got ${JSON.stringify(dir)}.`,
  diskMargin: (margin: unknown) => `diskMargin must be a whole number of bytes ≥ 0, got ${String(margin)}.`,
  bestMetric: (value: unknown) => `bestMetric must be { name: string, mode: "min" | "max" }, got ${JSON.stringify(value)}.`,
  keepCount: (key: string, value: unknown) => `keep.${key} must be an integer ≥ 0, got ${JSON.stringify(value)}.`,
  keepEpoch: (value: unknown) => `keep.epoch must be "all" or { every: integer ≥ 1 }, got ${JSON.stringify(value)}.`,
  saveRequest: () => "save: expected { kind, step, epoch?, tensors, state?, metrics? }.",
  kind: (kinds: readonly string[], value: unknown) => `save: kind must be one of ${kinds.join(", ")}, got ${JSON.stringify(value)}.`,
  count: (field: string, value: unknown) => `save: ${field} must be an integer ≥ 0, got ${String(value)}.`,
  tensors: () => "save: tensors must be an object of named tensor groups, e.g. { model: {...}, optimizer: {...} }.",
  groupName: (group: string) =>
    `save: tensor group name ${JSON.stringify(group)} cannot be a file name: use letters, digits, "_", "-" or "." (at most 128, not starting with "." or "-").`,
  group: (group: string) => `save: tensors.${group} must be an object of tensors.`,
  metrics: (value: unknown) => `save: metrics must be an object of numbers, got ${JSON.stringify(value)}.`,
  metric: (name: string, value: unknown) => `save: metric "${name}" must be a number, got ${JSON.stringify(value)}.`,
  state: (what: string) => `save: state must be a plain object of JSON values (got ${what}).`,
  stateConflict: (key: string, inState: unknown, actual: unknown, reserved: readonly string[]) =>
    `save: state.${key} is ${JSON.stringify(inState)} but the checkpoint's ${key} is ${JSON.stringify(actual)}; ` +
    `the store writes ${reserved.join(", ")} itself — drop them from state or make them agree.`,
  stateNotJson: (detail: string) => `save: state is not JSON-serializable (${detail}); store bigints as strings.`,
  stateTooDeep: (limit: number) =>
    `save: state nests more than ${limit} levels deep; a checkpoint's state.json is refused past that depth when read, so flatten it.`,
  ref: (ref: unknown) => `checkpoint ref must be a non-empty string, got ${JSON.stringify(ref)}.`,
  stepRef: (ref: string) => `"${ref}" is not a step ref: write step:N with N an integer ≥ 0.`,
  refElsewhere: (ref: string, dir: string) => `"${ref}" is not a checkpoint this store can read (the store is ${dir}): open the store that holds it.`,
  target: () => "expected a checkpoint ref string or a CheckpointInfo with a path.",
  backgroundWriter: (value: unknown) => `backgroundWriter must be "worker" or "inline", got ${JSON.stringify(value)}.`,
  workerWithFs: () => 'backgroundWriter "worker" cannot use a custom fs (functions cannot cross to a worker thread): use "inline" with `fs`, or drop `fs`.',
  maxFailedSaves: (value: unknown) => `maxFailedSaves must be an integer ≥ 1, got ${String(value)}.`,
} as const;

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? "th" : (({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th");
  return `${n}${s}`;
}

/**
 * A metric value as every human output shows it: 4 significant digits, exponent form below 1e-3
 * and from 1e4 ("1.74e-4"), never a raw float's 17 digits. The same form as shared/format.ts
 * formatLoss (the CLI tests compare the two).
 */
export function formatMetricValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e4 || abs < 1e-3) return value.toExponential(2).replace("e+", "e");
  const text = value.toPrecision(4);
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/** Why retention keeps or drops a checkpoint (one line each, shown by prune --dry-run). */
export const retentionReason = {
  inPool: (pool: string, rank: number, size: number, keep: number) => `${pool}: ${ordinal(rank)} newest of ${size}, keep ${keep}`,
  outOfPool: (pool: string, rank: number, keep: number) => `${pool}: ${ordinal(rank)} newest, policy keeps ${keep}`,
  final: () => "final: always kept",
  everyEpoch: () => "epoch: every epoch checkpoint is kept",
  epochMultiple: (epoch: number, every: number) => `epoch: epoch ${epoch} is a multiple of ${every}`,
  epochNotMultiple: (epoch: number | undefined, every: number) => `epoch: epoch ${epoch ?? "unknown"} is not a multiple of ${every}`,
  currentBest: (metric: string, value: number) => `protected: current best (${metric} = ${formatMetricValue(value)})`,
  inBest: (rank: number, mode: string, metric: string, value: number, keep: number) =>
    `best: ${ordinal(rank)} by ${mode} ${metric} = ${formatMetricValue(value)}, keep ${keep}`,
  outOfBest: (rank: number, metric: string, value: number, keep: number) =>
    `best: ${ordinal(rank)} by ${metric} = ${formatMetricValue(value)}, policy keeps ${keep}`,
  newestVerified: () => "protected: newest verified checkpoint",
  latest: () => "protected: named by latest",
  noPolicy: (kind: string) => `${kind}: no policy keeps it`,
} as const;

/**
 * Reading checkpoints: a ref resolved to the first candidate that verifies (every file's size and
 * hash), a checkpoint loaded with every byte hashed on the way (the load is the verification: a
 * good checkpoint is read once), a deep check of one, and its state.json alone. Candidates that
 * fail are skipped and reported; explicit refs (a step, a path) never fall back to another step.
 */
import * as os from "node:os";
import type { FileHandle } from "node:fs/promises";
import { NbresumeError, isNbresumeError } from "../errors.js";
import type { TensorGroup } from "../tensor.js";
import { NotRegularFileError, errnoCode } from "./durable-fs.js";
import { tensorMismatch } from "./expected-tensors.js";
import { createHash, hashBytes } from "./hash.js";
import type { Listing } from "./listing.js";
import type { Manifest, ManifestFileEntry } from "./manifest.js";
import { CheckpointErrorCode, badArgument, checkpointMessages as messages, summarizeProblems } from "./messages.js";
import { LATEST_FILE, STATE_FILE, groupOfFile } from "./naming.js";
import { type ParsedRef, candidatesFor, parseRef } from "./resolve.js";
import { fileByteSource, readSafetensors } from "./safetensors/index.js";
import { setOwn } from "../shared/own-record.js";
import { MAX_STATE_BYTES, parseState, stateManifestMismatches } from "./state-file.js";
import { RefusedBeforeAllocating, corrupt, notFound, refused } from "./store-errors.js";
import type { StoreContext } from "./store-context.js";
import { joinLocation } from "./storage/location.js";
import type { CheckpointFiles, OpenedFile } from "./storage/storage.js";
import type {
  CheckpointInfo,
  CheckpointProblem,
  CheckpointState,
  CheckpointTarget,
  ExpectedTensors,
  LoadOptions,
  LoadedCheckpoint,
  ResolvedCheckpoint,
  SkippedCheckpoint,
  VerifyResult,
} from "./store.js";
import { READ_CHUNK, checkDataFile, divergedProblems, readManifestOf, verifyCheckpoint } from "./verify.js";

/** Memory a load may use: what the system has available (or the cgroup allows, if less). */
function availableMemory(): number {
  const free = os.freemem();
  const limit = typeof process.constrainedMemory === "function" ? process.constrainedMemory() : 0;
  return limit !== undefined && limit > 0 && limit < free ? limit : free;
}

/** `where` relative to the checkpoint at `location` ("" for the checkpoint itself). */
function inside(location: string, where: string): string {
  return where.startsWith(`${location}/`) ? where.slice(location.length + 1) : "";
}

/** A checkpoint's state.json, verified against its manifest (data files not read). */
export interface CheckpointStateRead {
  location: string;
  name: string;
  manifest: Manifest;
  state: CheckpointState;
}

export class Reading {
  constructor(
    private readonly ctx: StoreContext,
    private readonly listing: Listing,
  ) {}

  private parse(ref: string): ParsedRef {
    return parseRef(ref, this.ctx.storage);
  }

  async resolve(ref: string): Promise<ResolvedCheckpoint | undefined> {
    const parsed = this.parse(ref);
    if (parsed.type === "path") {
      const info = await this.listing.describe(parsed.path);
      if (!info) throw notFound(ref, this.ctx.dir, `${parsed.path} does not exist`, parsed.path);
      const check = await verifyCheckpoint(this.ctx.storage.files(info.path));
      if (check.problems.length > 0 || !check.manifest) throw corrupt(info.path, check.problems);
      return { ...info, manifest: check.manifest, ref, verified: true, problems: [], skipped: [] };
    }
    const hit = await this.firstVerified<Manifest>(ref, parsed, async (candidate) => {
      const check = await this.listing.deepCheck(candidate.path);
      if (!check) return undefined;
      const { manifest, problems } = check;
      return problems.length === 0 && manifest ? { value: manifest } : { problems };
    });
    return hit && { ...hit.candidate, manifest: hit.value, ref, verified: true, problems: [], skipped: hit.skipped };
  }

  async resolveAndLoad(ref: string, options: LoadOptions = {}): Promise<LoadedCheckpoint | undefined> {
    const parsed = this.parse(ref);
    if (parsed.type === "path") {
      if (!(await this.ctx.storage.files(parsed.path).exists())) throw notFound(ref, this.ctx.dir, `${parsed.path} does not exist`, parsed.path);
      return this.loadAt(parsed.path, options.expect);
    }
    const hit = await this.firstVerified(ref, parsed, (candidate) => this.tryLoad(candidate.path, options.expect));
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
    const { checkpoints } = await this.listing.list();
    const skipped: SkippedCheckpoint[] = [];
    let latest: string | undefined;
    if (parsed.type === "latest") {
      try {
        latest = (await this.listing.readLatest()).name;
        if (!checkpoints.some((c) => c.name === latest)) {
          skipped.push(this.pointerSkip(messages.latestProblem(`names ${latest}, which does not exist`)));
        }
      } catch (error) {
        skipped.push(this.pointerSkip((error as Error).message));
      }
    }
    const passOverDiverged = parsed.type !== "step";
    const order = candidatesFor(parsed, checkpoints, { latest, bestMetric: this.ctx.bestMetric });
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
      throw new NbresumeError(CheckpointErrorCode.CORRUPT, messages.noneVerified(ref, this.ctx.dir, damaged), { where: damaged[0]?.path ?? this.ctx.dir });
    }
    if (parsed.type === "auto") return undefined; // an empty directory: a fresh start
    throw notFound(ref, this.ctx.dir, order.emptyReason);
  }

  private pointerSkip(problem: string): SkippedCheckpoint {
    return { name: LATEST_FILE, path: joinLocation(this.ctx.dir, LATEST_FILE), problem, problems: [] };
  }

  /** The location a target names, without verifying it (verify() and load() check it themselves). */
  async targetLocation(target: CheckpointTarget, verified: boolean): Promise<string> {
    if (typeof target === "object" && target !== null) {
      if (typeof target.path !== "string") throw new TypeError(badArgument.target());
      return target.path;
    }
    const parsed = this.parse(target);
    if (parsed.type === "path") return parsed.path;
    if (verified) {
      const hit = await this.resolve(target);
      if (!hit) throw notFound(target, this.ctx.dir, messages.noCheckpoints());
      return hit.path;
    }
    const { checkpoints } = await this.listing.list();
    const latest =
      parsed.type === "latest"
        ? await this.listing.readLatest().then(
            (l) => l.name,
            () => undefined,
          )
        : undefined;
    const order = candidatesFor(parsed, checkpoints, { latest, bestMetric: this.ctx.bestMetric });
    const first = order.candidates[0];
    if (!first) throw notFound(target, this.ctx.dir, order.emptyReason);
    return first.path;
  }

  async verify(target: CheckpointTarget): Promise<VerifyResult> {
    const location = await this.targetLocation(target, false);
    const files = this.ctx.storage.files(location);
    if (!(await files.exists())) {
      throw notFound(String(typeof target === "string" ? target : location), this.ctx.dir, `${location} does not exist`, location);
    }
    const check = await verifyCheckpoint(files, { diverged: true });
    return { name: files.name, path: location, ok: check.problems.length === 0, problems: check.problems, bytes: check.bytes };
  }

  async load(target: CheckpointTarget, options: LoadOptions = {}): Promise<LoadedCheckpoint> {
    if (typeof target === "string" && this.parse(target).type !== "path") {
      const loaded = await this.resolveAndLoad(target, options);
      if (!loaded) throw notFound(target, this.ctx.dir, messages.noCheckpoints());
      return loaded;
    }
    return this.loadAt(await this.targetLocation(target, false), options.expect);
  }

  /**
   * A candidate loaded, or everything wrong with it as verify() reports it; undefined if it vanished.
   * The load's own hashing is the verification: a good checkpoint is read once.
   */
  private async tryLoad(
    location: string,
    expect: ExpectedTensors | undefined,
  ): Promise<{ value: LoadedCheckpoint } | { problems: CheckpointProblem[] } | undefined> {
    try {
      return { value: await this.loadAt(location, expect) };
    } catch (error) {
      if (!isNbresumeError(error, CheckpointErrorCode.CORRUPT)) throw error;
      // Refused for what the caller expects or the memory it would take: the files may be intact.
      if (error.cause instanceof RefusedBeforeAllocating) return { problems: error.cause.problems };
      // Damaged: the full report (every bad file, not only the first one the load met).
      const check = await this.listing.deepCheck(location);
      if (!check) return undefined;
      return {
        problems: check.problems.length > 0 ? check.problems : [{ file: inside(location, error.where ?? location), kind: "invalid", message: error.message }],
      };
    }
  }

  /** Read tensors + state of the checkpoint at `location`, hashing every byte; CHECKPOINT_CORRUPT on any mismatch. */
  private async loadAt(location: string, expect?: ExpectedTensors): Promise<LoadedCheckpoint> {
    const files = this.ctx.storage.files(location);
    const { manifest, state } = await this.readVerifiedState(files);
    this.checkLoadable(location, manifest);
    const tensors: Record<string, TensorGroup> = {};
    const metadata: Record<string, Record<string, string>> = {};
    let buffer: Uint8Array | undefined;
    for (const [fileName, entry] of Object.entries(manifest.files)) {
      if (fileName === STATE_FILE) continue;
      const group = groupOfFile(fileName);
      if (group === undefined) {
        // Not ours to read, but listed: it must verify like the rest.
        const problem = await checkDataFile(files, fileName, entry, (buffer ??= new Uint8Array(READ_CHUNK)));
        if (problem) throw corrupt(location, [problem]);
        continue;
      }
      const expected = expect !== undefined && Object.prototype.hasOwnProperty.call(expect, group) ? expect[group] : undefined;
      const file = await this.readGroup(files, fileName, entry, expected);
      setOwn(tensors, group, file.tensors);
      setOwn(metadata, group, { ...file.metadata });
    }
    return {
      name: files.name,
      path: location,
      kind: manifest.kind,
      step: manifest.step,
      epoch: manifest.epoch,
      metrics: manifest.metrics,
      created: manifest.created,
      tensors,
      metadata,
      state,
      manifest,
      skipped: [],
    };
  }

  /** The checkpoint holds only plain files, its manifest reads, its state.json verifies against it. */
  private async readVerifiedState(files: CheckpointFiles): Promise<{ manifest: Manifest; state: CheckpointState }> {
    const scan = await files.scan();
    if (scan !== undefined && scan.problems.length > 0) throw corrupt(files.location, scan.problems);
    const { manifest, problems } = await readManifestOf(files);
    if (!manifest || problems.length > 0) throw corrupt(files.location, problems);
    const { state, problems: stateProblems } = await this.readState(files, manifest);
    if (!state) throw corrupt(files.location, stateProblems);
    return { manifest, state };
  }

  /** Refuses, before anything is allocated, a checkpoint whose tensors would not fit in memory. */
  private checkLoadable(location: string, manifest: Manifest): void {
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
      throw refused(location, [{ file: largest, kind: "unreadable", message: messages.tooLargeToLoad(largest, needed, available) }]);
    }
  }

  /** Read one safetensors file, hashing every byte as the reader pulls it. */
  private async readGroup(
    files: CheckpointFiles,
    fileName: string,
    entry: ManifestFileEntry,
    expected: ExpectedTensors[string] | undefined,
  ): Promise<{ tensors: TensorGroup; metadata: Readonly<Record<string, string>> }> {
    const location = files.location;
    const where = joinLocation(location, fileName);
    let handle: OpenedFile;
    try {
      handle = await files.open(fileName);
    } catch (error) {
      const code = errnoCode(error);
      const problem: CheckpointProblem =
        code === "ENOENT"
          ? { file: fileName, kind: "missing", message: messages.fileMissing(fileName) }
          : error instanceof NotRegularFileError
            ? { file: fileName, kind: "special", message: messages.fileSpecial(fileName, error.kind) }
            : { file: fileName, kind: "unreadable", message: messages.fileUnreadable(fileName, code ?? String(error)) };
      throw corrupt(location, [problem], error);
    }
    try {
      const { size } = handle;
      if (size !== entry.bytes) {
        throw corrupt(location, [
          { file: fileName, kind: "size", message: messages.fileSize(fileName, entry.bytes, size), expected: entry.bytes, actual: size },
        ]);
      }
      const hash = createHash();
      let seen = 0;
      let result;
      try {
        // fileByteSource only calls read(), which every OpenedFile has.
        result = await readSafetensors(fileByteSource(handle as unknown as FileHandle, size, where), {
          where,
          observe: (chunk: Uint8Array) => {
            hash.update(chunk);
            seen += chunk.byteLength;
          },
          beforeAllocate: async (header) => {
            const mismatch = expected === undefined ? undefined : tensorMismatch(expected, header.entries);
            if (mismatch !== undefined) {
              throw refused(location, [{ file: fileName, kind: "mismatch", message: messages.unexpectedTensors(fileName, mismatch) }]);
            }
            // Mostly holes: prove the bytes are the ones written before allocating what the header asks for.
            if (handle.sparse) {
              const problem = await checkDataFile(files, fileName, entry, new Uint8Array(READ_CHUNK));
              if (problem) throw refused(location, [problem]); // reported as is: no second pass over the holes
            }
          },
        });
      } catch (error) {
        if (isNbresumeError(error) && error.code === CheckpointErrorCode.CORRUPT) throw error;
        const detail = error instanceof Error ? error.message : String(error);
        throw corrupt(location, [{ file: fileName, kind: "invalid", message: messages.fileInvalid(fileName, detail) }], error);
      }
      const actual = hash.digest();
      if (seen !== entry.bytes || actual !== entry.hash) {
        throw corrupt(location, [{ file: fileName, kind: "hash", message: messages.fileHash(fileName, entry.hash, actual), expected: entry.hash, actual }]);
      }
      return result;
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /** state.json, size- and hash-checked against the manifest, validated, agreeing with it. */
  private async readState(files: CheckpointFiles, manifest: Manifest): Promise<{ state: CheckpointState | undefined; problems: CheckpointProblem[] }> {
    const entry = manifest.files[STATE_FILE];
    if (!entry) return { state: undefined, problems: [{ file: STATE_FILE, kind: "missing", message: messages.fileMissing(STATE_FILE) }] };
    let raw: Uint8Array;
    try {
      raw = await files.readSmall(STATE_FILE, MAX_STATE_BYTES);
    } catch (error) {
      const code = errnoCode(error);
      const problem: CheckpointProblem =
        code === "ENOENT"
          ? { file: STATE_FILE, kind: "missing", message: messages.fileMissing(STATE_FILE) }
          : error instanceof NotRegularFileError
            ? { file: STATE_FILE, kind: "special", message: messages.fileSpecial(STATE_FILE, error.kind) }
            : { file: STATE_FILE, kind: "unreadable", message: messages.fileUnreadable(STATE_FILE, code ?? String(error)) };
      return { state: undefined, problems: [problem] };
    }
    if (raw.byteLength !== entry.bytes) {
      return {
        state: undefined,
        problems: [
          {
            file: STATE_FILE,
            kind: "size",
            message: messages.fileSize(STATE_FILE, entry.bytes, raw.byteLength),
            expected: entry.bytes,
            actual: raw.byteLength,
          },
        ],
      };
    }
    const actual = hashBytes(raw);
    if (actual !== entry.hash) {
      return {
        state: undefined,
        problems: [{ file: STATE_FILE, kind: "hash", message: messages.fileHash(STATE_FILE, entry.hash, actual), expected: entry.hash, actual }],
      };
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

  /** state.json of a target (a ref resolved with verification), verified against its manifest; data files are not read. */
  async stateOf(target: CheckpointTarget): Promise<CheckpointStateRead> {
    const location = await this.targetLocation(target, true);
    const files = this.ctx.storage.files(location);
    const { manifest, state } = await this.readVerifiedState(files);
    return { location, name: files.name, manifest, state };
  }
}

/**
 * Checkpoints on S3-compatible object storage, at `s3://bucket/prefix`:
 *
 *   <prefix>/ckpt-step-00012000-rolling/{model,optimizer,…}.safetensors, state.json, manifest.json
 *   <prefix>/latest          the name of the checkpoint committed last
 *   <prefix>/.lease.json     the writer lease (s3-lease.ts)
 *   <prefix>/<blob>          previews, <prefix>/graphs/<sha256>.onnx (s3-blobs.ts)
 *
 * A checkpoint exists iff its manifest does: the manifest is written last (s3-upload.ts), so no
 * rename is needed, and a half-uploaded checkpoint is never listed; deleting one removes its
 * manifest first. Hashes are checked on download by the store (every byte, as on a disk). Every
 * listing is bounded (MAX_LISTED objects), every key from a listing is checked to be under the
 * prefix and made of plain segments before it is used, and a checkpoint holding any other key is
 * skipped like one holding a symlink.
 */
import { NbresumeError } from "../../../errors.js";
import type { DirScan } from "../../dir-scan.js";
import { MAX_SCAN_ENTRIES } from "../../dir-scan.js";
import { MAX_LATEST_BYTES, readLatestWith } from "../../latest-pointer.js";
import { CheckpointErrorCode, checkpointMessages as messages } from "../../messages.js";
import { LATEST_FILE, MANIFEST_FILE, parseCheckpointDirName } from "../../naming.js";
import type { CheckpointFiles, CheckpointStorage, FilesystemUsage, OpenedFile, OtherEntries, StagedCheckpoint, StorageSpec, WriterLease } from "../storage.js";
import { S3Blobs } from "./s3-blobs.js";
import { type S3Settings, resolveS3Settings } from "./s3-config.js";
import { LEASE_KEY, S3Lease, checkLease } from "./s3-lease.js";
import { keyOf, parseS3Url, rootKey, type S3Location } from "./s3-location.js";
import type { S3Options } from "./s3-options.js";
import { openObject, readSmallObject } from "./s3-reader.js";
import { withRetries } from "./s3-retry.js";
import { type S3Api, createS3Api, isNotFound, isNotImplemented } from "./s3-sdk.js";
import { S3StagedCheckpoint, type UploadLog } from "./s3-upload.js";

/** A run keeps a few objects per checkpoint; a prefix holding more than this is not a run's. */
export const MAX_LISTED = 200_000;
/** A listing is reused by the scans right after it (list() describes every name it returned). */
const LISTING_REUSE_MS = 2000;

/** What one first segment under the prefix holds. */
interface Group {
  bytes: number;
  /** Relative keys (to the prefix) of its objects. */
  keys: string[];
  /** Keys under it that are not plain segments ("a/../b", "a//b"): never used, reported. */
  hostile: string[];
  manifest: boolean;
}

interface Snapshot {
  at: number;
  /** Every object, relative key (plain segments only) and size. */
  objects: { key: string; size: number }[];
  groups: Map<string, Group>;
}

/** `rel` split into its first segment and the rest, if every segment is plain. */
function plainKey(rel: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are among the characters it rejects in a key
  return !/[\u0000-\u001f\u007f\\]/.test(rel) && rel.split("/").every((s) => s !== "" && s !== "." && s !== "..");
}

export class S3Storage implements CheckpointStorage {
  readonly location: string;
  readonly blobs: S3Blobs;
  /** Aborted multipart uploads (tests read it through the fault proxy too). */
  readonly uploads: UploadLog = { aborted: 0, abortFailed: 0 };
  private cached: { at: number; snapshot: Promise<Snapshot> } | undefined;
  private closed = false;

  /** The settings every request of this storage goes by (one object, shared by its blobs, uploads and lease). */
  private readonly settings: S3Settings;

  private constructor(
    private readonly where: S3Location,
    /** As resolved; `outageMs` applies only once opened for writing (see prepareForWriting). */
    private readonly configured: S3Settings,
    private readonly api: S3Api,
    writing: boolean,
  ) {
    this.location = where.url;
    this.settings = { ...configured, outageMs: writing ? configured.outageMs : 0 };
    this.blobs = new S3Blobs(api, this.settings, where, { objects: async () => (await this.snapshot(0)).objects }, () => this.changed());
  }

  static async open(url: string, options: S3Options): Promise<S3Storage> {
    const where = parseS3Url(url);
    const settings = resolveS3Settings(options);
    return new S3Storage(where, settings, await createS3Api(where.bucket, settings), false);
  }

  /** The same storage in another thread (the writer thread, the mirror thread). */
  static async fromSpec(spec: StorageSpec): Promise<S3Storage> {
    // The spec carries the outageMs in force where it was taken (0 from a read-only store).
    const where = parseS3Url(spec.location);
    const settings = spec.settings as unknown as S3Settings;
    return new S3Storage(where, settings, await createS3Api(where.bucket, settings), true);
  }

  get spec(): StorageSpec {
    return { scheme: "s3", location: this.where.url, settings: { ...this.settings } };
  }

  private key(name: string): string {
    return keyOf(this.where, name);
  }

  checkpointLocation(name: string): string {
    return `${this.where.url}/${name}`;
  }

  resolveLocation(ref: string): string | undefined {
    if (!ref.includes("/") && parseCheckpointDirName(ref)) return this.checkpointLocation(ref);
    if (!ref.startsWith("s3://")) return undefined;
    let target: S3Location;
    try {
      target = parseS3Url(ref);
    } catch {
      return undefined;
    }
    const inside = target.bucket === this.where.bucket && target.url.startsWith(`${this.where.url}/`) ? target.url.slice(this.where.url.length + 1) : undefined;
    return inside !== undefined && !inside.includes("/") ? target.url : undefined;
  }

  relative(location: string): string {
    return location.startsWith(`${this.where.url}/`) ? location.slice(this.where.url.length + 1) : location;
  }

  files(location: string): CheckpointFiles {
    const name = this.relative(location);
    if (name === location || name.includes("/") || !plainKey(name)) throw new TypeError(`${location} is not a checkpoint of ${this.location}.`);
    return new S3CheckpointFiles(this, name, location);
  }

  // ── listing ───────────────────────────────────────────────────────────────────────────────

  /** The listing made within `maxAgeMs` (0: a fresh one), every page, bounded. */
  snapshot(maxAgeMs: number): Promise<Snapshot> {
    if (this.cached !== undefined && Date.now() - this.cached.at <= maxAgeMs) return this.cached.snapshot;
    const at = Date.now();
    const snapshot = this.listAll(at);
    this.cached = { at, snapshot };
    snapshot.catch(() => {
      if (this.cached?.snapshot === snapshot) this.cached = undefined;
    });
    return snapshot;
  }

  /** The listing is stale after a write or a delete through this storage. */
  changed(): void {
    this.cached = undefined;
  }

  private async listAll(at: number): Promise<Snapshot> {
    const root = rootKey(this.where);
    const objects: Snapshot["objects"] = [];
    const groups = new Map<string, Group>();
    let next: string | undefined;
    let seen = 0;
    do {
      const page = await withRetries(this.settings, "listing", this.location, () => this.api.listPage(root, next));
      next = page.next;
      for (const o of page.objects) {
        if (++seen > MAX_LISTED) {
          throw new NbresumeError(CheckpointErrorCode.REMOTE_LISTING_TOO_LARGE, messages.listingTooLarge(this.location, MAX_LISTED), { where: this.location });
        }
        // A key outside the prefix (a broken or hostile listing) is not ours to look at.
        if (typeof o.key !== "string" || !o.key.startsWith(root) || o.key.length === root.length) continue;
        const rel = o.key.slice(root.length);
        const size = Number.isSafeInteger(o.size) && o.size >= 0 ? o.size : 0;
        const first = rel.split("/")[0] ?? "";
        let group = groups.get(first);
        if (group === undefined) groups.set(first, (group = { bytes: 0, keys: [], hostile: [], manifest: false }));
        if (!plainKey(rel)) {
          group.hostile.push(rel);
          continue;
        }
        objects.push({ key: rel, size });
        group.bytes += size;
        group.keys.push(rel);
        if (rel === `${first}/${MANIFEST_FILE}`) group.manifest = true;
      }
    } while (next !== undefined);
    return { at, objects, groups };
  }

  /** What is under `<prefix>/<name>/`: from a listing made within `maxAgeMs`, else listed on its own (bounded). */
  async groupOf(name: string, maxAgeMs: number): Promise<Group | undefined> {
    if (this.cached !== undefined && Date.now() - this.cached.at <= maxAgeMs) return (await this.cached.snapshot).groups.get(name);
    const root = rootKey(this.where);
    const under = `${root}${name}/`;
    const group: Group = { bytes: 0, keys: [], hostile: [], manifest: false };
    let next: string | undefined;
    do {
      const page = await withRetries(this.settings, "listing", this.checkpointLocation(name), () => this.api.listPage(under, next));
      next = page.next;
      for (const o of page.objects) {
        if (typeof o.key !== "string" || !o.key.startsWith(under)) continue;
        const rel = o.key.slice(root.length);
        if (!plainKey(rel)) group.hostile.push(rel);
        else {
          group.keys.push(rel);
          group.bytes += Number.isSafeInteger(o.size) && o.size >= 0 ? o.size : 0;
          if (rel === `${name}/${MANIFEST_FILE}`) group.manifest = true;
        }
      }
      // A checkpoint holds a handful of objects: past the scan's bound there is nothing more to learn.
    } while (next !== undefined && group.keys.length + group.hostile.length <= MAX_SCAN_ENTRIES);
    return group.keys.length + group.hostile.length === 0 ? undefined : group;
  }

  async exists(): Promise<boolean> {
    await this.checkBucket();
    return (await this.snapshot(0)).objects.length > 0;
  }

  private async checkBucket(): Promise<void> {
    try {
      await withRetries(this.settings, "opening", this.location, () => this.api.headBucket());
    } catch (error) {
      if (isNotFound(error))
        throw new NbresumeError(CheckpointErrorCode.BUCKET_MISSING, messages.bucketMissing(this.location, (error as Error).message), {
          where: this.location,
          cause: error,
        });
      throw error;
    }
  }

  /**
   * A writer: the bucket checked (failing fast, as a read-only open does, when it cannot be
   * reached), then every later request rides out an outage of up to outageMs (s3-retry.ts).
   */
  async prepareForWriting(): Promise<void> {
    await this.checkBucket();
    this.settings.outageMs = this.configured.outageMs;
  }

  acquireLease(): Promise<WriterLease> {
    return S3Lease.acquire(this.api, this.settings, this.key(LEASE_KEY), `${this.location}/${LEASE_KEY}`, this.settings.leaseSeconds);
  }

  leaseFor(token: string): WriterLease {
    return {
      token,
      assertHeld: () => checkLease(this.api, this.settings, this.key(LEASE_KEY), `${this.location}/${LEASE_KEY}`, token),
      release: async () => undefined,
    };
  }

  async removeLeftovers(): Promise<void> {
    const { names } = await this.leftovers();
    const snapshot = await this.snapshot(0);
    const keys = names.flatMap((n) => snapshot.groups.get(n)?.keys ?? []).map((k) => this.key(k));
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      await withRetries(this.settings, "removing leftovers in", this.location, () => this.api.deleteMany(batch));
    }
    // Multipart uploads a killed writer left (invisible, but stored): aborted where the service lists them.
    try {
      const uploads = await withRetries(this.settings, "listing unfinished uploads in", this.location, () => this.api.listMultipart(rootKey(this.where)));
      for (const u of uploads) {
        if (!u.key.startsWith(rootKey(this.where))) continue;
        await this.api.abortMultipart(u.key, u.uploadId).then(
          () => this.uploads.aborted++,
          () => this.uploads.abortFailed++,
        );
      }
    } catch (error) {
      if (!isNotImplemented(error)) throw error;
    }
    this.changed();
  }

  async listNames(): Promise<string[]> {
    const snapshot = await this.snapshot(0);
    return [...snapshot.groups].filter(([name, g]) => g.manifest && parseCheckpointDirName(name) !== undefined).map(([name]) => name);
  }

  async hasCheckpoint(name: string): Promise<boolean> {
    return (await this.groupOf(name, 0)) !== undefined;
  }

  async leftovers(): Promise<OtherEntries> {
    const out: OtherEntries = { names: [], bytes: 0 };
    for (const [name, g] of (await this.snapshot(0)).groups) {
      if (g.manifest || parseCheckpointDirName(name) === undefined) continue;
      out.names.push(name);
      out.bytes += g.bytes;
    }
    return out;
  }

  async setAside(prefix: string): Promise<OtherEntries> {
    const out: OtherEntries = { names: [], bytes: 0 };
    for (const [name, g] of (await this.snapshot(0)).groups) {
      if (!name.startsWith(prefix) || g.keys.length === 0 || g.keys.every((k) => k === name)) continue;
      out.names.push(name);
      out.bytes += g.bytes;
    }
    return out;
  }

  readLatest(): Promise<{ name: string } | { problem: string }> {
    return readLatestWith(
      async () => (await readSmallObject(this.api, this.settings, this.key(LATEST_FILE), `${this.location}/${LATEST_FILE}`, MAX_LATEST_BYTES)).bytes,
    );
  }

  async writeLatest(name: string): Promise<void> {
    await withRetries(this.settings, "pointing latest at", `${this.location}/${LATEST_FILE}`, () =>
      this.api.put(this.key(LATEST_FILE), new TextEncoder().encode(`${name}\n`)),
    );
  }

  stage(name: string, options: { replacing: boolean }): StagedCheckpoint {
    return new S3StagedCheckpoint(this.api, this.settings, this.key(name), this.checkpointLocation(name), options.replacing, this.uploads, () =>
      this.changed(),
    );
  }

  async remove(names: readonly string[]): Promise<{ removed: string[]; failed: { name: string; detail: string }[] }> {
    const snapshot = await this.snapshot(0);
    const present = names.filter((n) => snapshot.groups.get(n)?.manifest === true);
    const failed: { name: string; detail: string }[] = [];
    const removed: string[] = [];
    if (present.length === 0) return { removed, failed };
    // Manifests first: each checkpoint leaves the listing in one step; the rest are leftovers until deleted.
    const manifests = present.map((n) => this.key(`${n}/${MANIFEST_FILE}`));
    const out = await withRetries(this.settings, "deleting", this.location, () => this.api.deleteMany(manifests));
    const bad = new Set(out.failed.map((f) => f.key));
    for (const n of present) {
      const key = this.key(`${n}/${MANIFEST_FILE}`);
      if (bad.has(key)) failed.push({ name: n, detail: out.failed.find((f) => f.key === key)?.message ?? "delete failed" });
      else removed.push(n);
    }
    const rest = removed.flatMap((n) => (snapshot.groups.get(n)?.keys ?? []).filter((k) => k !== `${n}/${MANIFEST_FILE}`)).map((k) => this.key(k));
    for (let i = 0; i < rest.length; i += 1000) {
      const batch = rest.slice(i, i + 1000);
      await withRetries(this.settings, "deleting", this.location, () => this.api.deleteMany(batch)).catch(() => undefined); // leftovers go on the next open
    }
    this.changed();
    return { removed, failed };
  }

  async moveAside(names: readonly string[], folder: string): Promise<string> {
    const snapshot = await this.snapshot(0);
    for (const name of names) {
      const keys = snapshot.groups.get(name)?.keys ?? [];
      // Copied with the manifest last, then out of the listing (manifest first), then the rest removed.
      const ordered = [...keys.filter((k) => !k.endsWith(`/${MANIFEST_FILE}`)), ...keys.filter((k) => k.endsWith(`/${MANIFEST_FILE}`))];
      for (const k of ordered)
        await withRetries(this.settings, "setting aside", this.checkpointLocation(name), () => this.api.copy(this.key(k), this.key(`${folder}/${k}`)));
      await withRetries(this.settings, "setting aside", this.checkpointLocation(name), () => this.api.deleteMany([this.key(`${name}/${MANIFEST_FILE}`)]));
      await withRetries(this.settings, "setting aside", this.checkpointLocation(name), () => this.api.deleteMany(keys.map((k) => this.key(k))));
    }
    this.changed();
    return `${this.location}/${folder}`;
  }

  async ensureFreeSpace(): Promise<void> {
    // Object storage has no free-space figure to check against.
  }

  async filesystem(): Promise<FilesystemUsage | undefined> {
    return undefined;
  }

  /** Reads for S3CheckpointFiles. */
  readObject(name: string, file: string, maxBytes: number): Promise<Uint8Array> {
    return readSmallObject(this.api, this.settings, this.key(`${name}/${file}`), `${this.checkpointLocation(name)}/${file}`, maxBytes).then((r) => r.bytes);
  }

  openObject(name: string, file: string): Promise<OpenedFile> {
    return openObject(this.api, this.settings, this.key(`${name}/${file}`), `${this.checkpointLocation(name)}/${file}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.api.destroy();
  }
}

/** One checkpoint's objects, read as a directory's files are (storage.ts). */
class S3CheckpointFiles implements CheckpointFiles {
  constructor(
    private readonly storage: S3Storage,
    readonly name: string,
    readonly location: string,
  ) {}

  async exists(): Promise<boolean> {
    return (await this.storage.groupOf(this.name, 0)) !== undefined;
  }

  async scan(): Promise<DirScan | undefined> {
    const group = await this.storage.groupOf(this.name, LISTING_REUSE_MS);
    if (group === undefined) return undefined;
    const problems: DirScan["problems"] = [];
    if (group.keys.length + group.hostile.length > MAX_SCAN_ENTRIES) {
      problems.push({ file: this.name, kind: "invalid", message: messages.tooManyEntries(MAX_SCAN_ENTRIES) });
    }
    for (const key of group.hostile.slice(0, 8)) {
      const entry = JSON.stringify(key.slice(this.name.length + 1));
      problems.push({ file: key, kind: "special", message: messages.holdsSpecial(entry, "a key that is not a plain file name") });
    }
    return { bytes: group.bytes, problems };
  }

  async names(): Promise<string[]> {
    const group = await this.storage.groupOf(this.name, LISTING_REUSE_MS);
    return (group?.keys ?? []).map((k) => k.slice(this.name.length + 1)).filter((k) => !k.includes("/"));
  }

  readSmall(file: string, maxBytes: number): Promise<Uint8Array> {
    return this.storage.readObject(this.name, file, maxBytes);
  }

  open(file: string): Promise<OpenedFile> {
    return this.storage.openObject(this.name, file);
  }
}

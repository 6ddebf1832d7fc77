/**
 * What a store holds, read from its storage: every committed checkpoint described from its
 * manifest (no data read) or deep-checked, the `latest` pointer, and disk usage. A checkpoint that
 * is or holds anything but plain files is listed with "special" problems, its manifest never read.
 */
import { mapConcurrent } from "./map-concurrent.js";
import { manifestGroups } from "./manifest.js";
import { CHECKPOINT_KINDS, parseCheckpointDirName } from "./naming.js";
import { compareNewestFirst } from "./retention.js";
import type { StoreContext } from "./store-context.js";
import type { CheckpointInfo, CheckpointKind, CheckpointListing, DiskUsage, KindTotal, ListOptions } from "./store.js";
import { type DeepCheck, readManifestOf, verifyCheckpoint } from "./verify.js";

/** Checkpoints described at once by list() (each holds at most a file or two open). */
const LIST_CONCURRENCY = 8;

/** Folders `rollBack` moves checkpoints into (kept, not deleted): counted by du. */
export const SET_ASIDE_PREFIX = "rolled-back-";

export function emptyTotals(): Record<CheckpointKind, KindTotal> {
  const totals = {} as Record<CheckpointKind, KindTotal>;
  for (const kind of CHECKPOINT_KINDS) totals[kind] = { count: 0, bytes: 0 };
  return totals;
}

export class Listing {
  constructor(private readonly ctx: StoreContext) {}

  async list(options: ListOptions = {}): Promise<CheckpointListing> {
    const { storage } = this.ctx;
    const names = await storage.listNames();
    const described = await mapConcurrent(names, LIST_CONCURRENCY, async (name) => {
      const info = await this.describe(storage.checkpointLocation(name));
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
    return { dir: this.ctx.dir, checkpoints, totals, total };
  }

  /**
   * Verify a checkpoint; undefined if it vanished meanwhile (a writer pruned it while we read),
   * which is not damage.
   */
  async deepCheck(location: string, diverged = false): Promise<DeepCheck | undefined> {
    const files = this.ctx.storage.files(location);
    const check = await verifyCheckpoint(files, { diverged });
    if (check.problems.length > 0 && !(await files.exists())) return undefined;
    return check;
  }

  /**
   * What the manifest says about a checkpoint (no data read); undefined if it is gone. A
   * checkpoint that is a symlink or holds anything but regular files is listed with "special"
   * problems, its manifest never read.
   */
  async describe(location: string): Promise<CheckpointInfo | undefined> {
    const files = this.ctx.storage.files(location);
    const scan = await files.scan();
    if (scan === undefined) return undefined;
    const name = files.name;
    const special = scan.problems.length > 0;
    const { manifest, problems } = special ? { manifest: undefined, problems: scan.problems } : await readManifestOf(files);
    const parsed = parseCheckpointDirName(name);
    const info: CheckpointInfo = {
      name,
      path: location,
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
    const { storage } = this.ctx;
    const { totals, total } = await this.list();
    const leftovers = await storage.leftovers();
    const temp = { count: leftovers.names.length, bytes: leftovers.bytes, names: leftovers.names };
    const aside = await storage.setAside(SET_ASIDE_PREFIX);
    const setAside = { count: aside.names.length, bytes: aside.bytes, names: aside.names };
    return {
      dir: this.ctx.dir,
      kinds: totals,
      checkpoints: total,
      temp,
      setAside,
      total: { count: total.count + temp.count + setAside.count, bytes: total.bytes + temp.bytes + setAside.bytes },
      filesystem: await storage.filesystem().catch(() => undefined),
    };
  }

  /** The name `latest` holds, validated; throws a message fragment when it is missing or bad. */
  async readLatest(): Promise<{ name: string }> {
    const pointer = await this.ctx.storage.readLatest();
    if ("problem" in pointer) throw new Error(pointer.problem);
    return pointer;
  }
}

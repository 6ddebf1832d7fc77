/**
 * The commit of one checkpoint, the same on every storage (storage.ts says what each step is there):
 *
 *   the writer lease still ours? (else CHECKPOINT_LOCK_LOST, nothing written) → exists? (an intact
 *   one: CHECKPOINT_EXISTS; a damaged one is replaced) → exact sizes → free space
 *   → stage → each tensor group streamed into its file, hashed on the way → state.json → every file
 *   durable → manifest + commit (the writer lease checked first) → `latest` → index → prune
 *
 * Nothing is visible before the commit; a failure before it removes what was written and leaves
 * every earlier checkpoint as it was; nothing committed is ever removed here.
 */
import { NbresumeError } from "../errors.js";
import type { CheckpointIndex } from "./checkpoint-index.js";
import { errnoCode } from "./durable-fs.js";
import { hashBytes } from "./hash.js";
import { NBRESUME_VERSION } from "./library-version.js";
import type { Listing } from "./listing.js";
import { FORMAT_VERSION, type Manifest, type ManifestFileEntry, manifestGroups, serializeManifest } from "./manifest.js";
import { CheckpointErrorCode, checkpointMessages as messages, summarizeProblems } from "./messages.js";
import { STATE_FILE, checkpointDirName, groupFileName } from "./naming.js";
import type { Pruner } from "./pruning.js";
import { safetensorsLayout, writeSafetensors } from "./safetensors/index.js";
import type { ValidRequest } from "./save-request.js";
import { saveError } from "./store-errors.js";
import type { StoreContext } from "./store-context.js";
import type { EndedFile, StagedCheckpoint } from "./storage/storage.js";
import type { CheckpointInfo, CheckpointKind, CheckpointProblem, SaveRequest, SavedCheckpoint } from "./store.js";
import { verifyCheckpoint } from "./verify.js";

function label(step: number, kind: CheckpointKind): string {
  return `the ${kind} checkpoint of step ${step}`;
}

export class CommitPipeline {
  constructor(
    private readonly ctx: StoreContext,
    private readonly listing: Listing,
    private readonly index: CheckpointIndex,
    private readonly pruner: Pruner,
  ) {}

  async commit(req: ValidRequest, givenMetadata: SaveRequest["metadata"], stateBytes: Uint8Array): Promise<SavedCheckpoint> {
    const { storage, dir } = this.ctx;
    const { kind, step, epoch, metrics, groups } = req;
    const name = checkpointDirName(step, kind);
    const finalLocation = storage.checkpointLocation(name);
    const what = label(step, kind);
    // A writer whose lease was taken over (paused past its lifetime) writes nothing: checked before any byte is.
    await this.ctx.lease?.assertHeld();
    // A damaged checkpoint of the same step and kind (resolve skipped it, training came back to
    // this step) is replaced by the new one; an intact one is never overwritten.
    let damaged: CheckpointProblem[] | undefined;
    if (await storage.hasCheckpoint(name)) {
      const check = await verifyCheckpoint(storage.files(finalLocation));
      if (check.problems.length === 0) {
        throw new NbresumeError(CheckpointErrorCode.EXISTS, messages.exists(finalLocation, step, kind), { where: finalLocation });
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
    await storage.ensureFreeSpace([...Object.values(sizedFiles).map((f) => f.bytes), manifestSize], this.ctx.margin);

    // 2. Staged beside the final one; every file written, hashed, made durable; manifest last.
    const staged: StagedCheckpoint = storage.stage(name, { replacing: damaged !== undefined });
    // Each data file becomes durable while the next one is written; all settle before the manifest.
    const pending: { file: string; durable: Promise<void> }[] = [];
    // The file whose durability is awaited, if that is what fails; otherwise what the staged checkpoint was doing.
    let awaiting: string | undefined;
    const allDurable = async (): Promise<void> => {
      for (const p of pending) {
        awaiting = p.file;
        await p.durable;
      }
      awaiting = undefined;
    };
    try {
      await staged.begin();
      const files: Record<string, ManifestFileEntry> = {};
      for (const l of layouts) {
        const fileName = groupFileName(l.group);
        const sink = await staged.createFile(fileName);
        const file = staged.current;
        let ended: EndedFile;
        try {
          await writeSafetensors(sink, l.tensors, l.metadata);
          ended = await sink.end();
        } finally {
          await sink.abort();
        }
        pending.push({ file, durable: ended.durable });
        if (ended.bytes !== l.size) throw new Error(`${fileName}: wrote ${ended.bytes} bytes, layout said ${l.size}`);
        files[fileName] = { bytes: ended.bytes, hash: ended.hash };
      }
      await staged.writeFile(STATE_FILE, stateBytes);
      files[STATE_FILE] = { bytes: stateBytes.byteLength, hash: hashBytes(stateBytes) };
      await allDurable();
      const manifest: Manifest = { ...manifestBase, files };
      // 3. Still ours? Then the commit (the lease is checked inside, right before the atomic step).
      await staged.commit(serializeManifest(manifest), async () => this.ctx.lease?.assertHeld());
      const saved = await this.afterCommit(name, finalLocation, manifest);
      if (damaged) saved.warnings.unshift(messages.replacedDamaged(finalLocation, summarizeProblems(damaged)));
      return saved;
    } catch (error) {
      if (staged.committed) throw error; // committed: never delete
      const current = awaiting ?? staged.current;
      await Promise.allSettled(pending.map((p) => p.durable)); // nothing may still be writing a file we remove
      const cleaned = await staged.abort();
      throw saveError(error, dir, what, current, storage.relative(current), cleaned);
    }
  }

  /** Point `latest` at the new checkpoint, keep the index in step, prune. */
  private async afterCommit(name: string, location: string, manifest: Manifest): Promise<SavedCheckpoint> {
    const warnings: string[] = [];
    try {
      await this.ctx.storage.writeLatest(name);
    } catch (error) {
      warnings.push(messages.latestNotUpdated(name, errnoCode(error) ?? (error instanceof Error ? error.message : String(error))));
    }
    const bytes = Object.values(manifest.files).reduce((sum, f) => sum + f.bytes, 0) + serializeManifest(manifest).byteLength;
    const info: CheckpointInfo = {
      name,
      path: location,
      kind: manifest.kind,
      step: manifest.step,
      epoch: manifest.epoch,
      metrics: manifest.metrics,
      created: manifest.created,
      bytes,
      groups: manifestGroups(manifest),
      manifest,
    };
    this.index.committed(info);
    let pruned: string[] = [];
    if (this.ctx.autoPrune) {
      const result = await this.pruner.pruneNow(name, "index");
      pruned = result.deleted;
      warnings.push(...result.warnings);
    }
    return { ...info, manifest, verified: true, problems: [], pruned, warnings };
  }
}

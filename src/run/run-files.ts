/**
 * The previews a run writes into its directory, beside (never inside) the checkpoint directories,
 * so checkpoints stay exactly what their manifests list:
 *
 *   DIR/preview-step-00001200.png   the preview shown when train() resumed from step 1200
 *   DIR/samples-step-00001200.png   the preview saved with the checkpoint of step 1200
 *   DIR/samples-step-00001200.txt   … of a text preview (.md beside it), -0.wav for audio, and
 *   DIR/samples-step-00001200-1.png   the model's second preview, and so on
 *
 * They are blobs of the run's storage (storage.ts BlobStore): files in a directory, or objects under
 * s3://bucket/prefix; while a writable store is open on DIR in this process they go through it, so
 * a store with a mirror copies them to its bucket too. Each is written atomically (temp file beside
 * it → rename; one PUT) but not fsync'd: a picture lost to a power cut is redrawn on the next
 * resume, and the fsyncs cost the preview 10–50 ms on a busy disk. A temp file left by a crash
 * starts with ".tmp-"; the checkpoint store removes it on open.
 */
import { withBlobsAt } from "../checkpoint/storage/blobs-at.js";
import { isUrlLocation, normalizeLocation } from "../checkpoint/storage/location.js";
import { openStorage } from "../checkpoint/storage/registry.js";
import type { S3Options } from "../checkpoint/storage/s3/s3-options.js";
import type { BlobStore } from "../checkpoint/storage/storage.js";
import type { RenderedPreview } from "../render/rendered-preview.js";

const PICTURE = /^(preview|samples)-step-(\d{8,})(?:-\d+)?(?:-\d+\.wav|-plot\.png|\.[a-z]+(?:\.json)?)$/;

/** "preview-step-00001200": the stem of the files of the preview shown on resuming from that step. */
export function previewFileStem(step: number): string {
  return `preview-step-${String(step).padStart(8, "0")}`;
}

/** "samples-step-00001200": the stem of the files of the previews saved with that checkpoint. */
export function samplesFileStem(step: number): string {
  return `samples-step-${String(step).padStart(8, "0")}`;
}

export function previewFileName(step: number): string {
  return `${previewFileStem(step)}.png`;
}

export function samplesFileName(step: number): string {
  return `${samplesFileStem(step)}.png`;
}

/** The run's blobs: DIR's (a path or s3:// URL), or a store's own (CheckpointReader.blobs). */
export type RunFilesAt = string | BlobStore;

/**
 * The settings (checkpointStore.s3) of runs in a bucket, by location: the record written after the
 * store closed (summary.json) reaches the same bucket the store did, not only one the AWS_*
 * environment configures. The resume planner sets them at each train().
 */
const bucketSettings = new Map<string, S3Options>();

/** The s3 settings a run in `dir` (s3://…) was given, or none. */
export function rememberRunSettings(dir: string, s3: S3Options | undefined): void {
  if (!isUrlLocation(dir)) return;
  if (s3 === undefined) bucketSettings.delete(normalizeLocation(dir));
  else bucketSettings.set(normalizeLocation(dir), s3);
}

/**
 * Run `use` with the run's blobs: the open store's (blobs-at.ts), or the location's own storage. A
 * bucket with settings of its own opens its storage with them (a store in a bucket has no mirror,
 * so its blobs are the same objects).
 */
export async function withRunBlobs<T>(at: RunFilesAt, use: (blobs: BlobStore) => Promise<T>): Promise<T> {
  if (typeof at !== "string") return use(at);
  const s3 = isUrlLocation(at) ? bucketSettings.get(normalizeLocation(at)) : undefined;
  if (s3 === undefined) return withBlobsAt(at, use);
  const storage = await openStorage(at, { s3 });
  try {
    return await use(storage.blobs);
  } finally {
    await storage.close();
  }
}

const withBlobs = withRunBlobs;

/**
 * Writes every file of these previews as DIR/<stem><suffix> (the model's second preview
 * <stem>-1<suffix>, …). Returns the first file of each preview, in order.
 */
export async function writePreviewFiles(dir: RunFilesAt, stem: string, previews: readonly RenderedPreview[]): Promise<string[]> {
  return withBlobs(dir, async (blobs) => {
    const first: string[] = [];
    for (const [i, p] of previews.entries()) {
      const base = i === 0 ? stem : `${stem}-${i}`;
      let head: string | undefined;
      for (const f of p.files) {
        const file = await blobs.put(`${base}${f.suffix}`, f.bytes);
        head ??= file;
      }
      first.push(head ?? blobs.locate(base));
    }
    return first;
  });
}

/** Writes `bytes` to DIR/name atomically (readers see the old file or the new one); returns its path (or URL). */
export async function writeRunFile(dir: RunFilesAt, name: string, bytes: Uint8Array): Promise<string> {
  return withBlobs(dir, (blobs) => blobs.put(name, bytes));
}

export interface RunPicture {
  readonly name: string;
  readonly kind: "preview" | "samples";
  readonly step: number;
  readonly bytes: number;
}

/** The run's pictures, oldest step first (none when DIR cannot be listed). */
export async function listRunPictures(dir: RunFilesAt): Promise<RunPicture[]> {
  const blobs = await withBlobs(dir, (b) => b.list()).catch(() => []);
  const out: RunPicture[] = [];
  for (const { name, bytes } of blobs) {
    const m = PICTURE.exec(name);
    if (m) out.push({ name, kind: m[1] as "preview" | "samples", step: Number(m[2]), bytes });
  }
  return out.sort((a, b) => a.step - b.step || a.name.localeCompare(b.name));
}

/**
 * Removes sample grids whose checkpoints are all gone (pruned by the retention policy), so the
 * pictures follow the checkpoints they illustrate. Previews are kept: each records a resume.
 * Only grids of steps before `before` are candidates: a newer grid belongs to a save still being
 * written (background saves), not yet listed.
 */
export async function pruneSampleGrids(dir: RunFilesAt, checkpointSteps: ReadonlySet<number>, before = Number.POSITIVE_INFINITY): Promise<string[]> {
  return withBlobs(dir, async (blobs) => {
    const removed: string[] = [];
    for (const p of await listRunPictures(blobs)) {
      if (p.kind !== "samples" || p.step >= before || checkpointSteps.has(p.step)) continue;
      await blobs.delete(p.name);
      removed.push(p.name);
    }
    return removed;
  });
}

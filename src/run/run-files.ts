/**
 * The previews a run writes into its directory, beside (never inside) the checkpoint directories,
 * so checkpoints stay exactly what their manifests list:
 *
 *   DIR/preview-step-00001200.png   the preview shown when train() resumed from step 1200
 *   DIR/samples-step-00001200.png   the preview saved with the checkpoint of step 1200
 *   DIR/samples-step-00001200.txt   … of a text preview (.md beside it), -0.wav for audio, and
 *   DIR/samples-step-00001200-1.png   the model's second preview, and so on
 *
 * Each is written atomically (temp file beside it → rename) but not fsync'd: a picture lost to a
 * power cut is redrawn on the next resume, and the fsyncs cost the preview 10–50 ms on a busy
 * disk. A temp file left by a crash starts with ".tmp-"; the checkpoint store removes it on open.
 */
import { readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { tempName } from "../checkpoint/durable-fs.js";
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

/**
 * Writes every file of these previews as DIR/<stem><suffix> (the model's second preview
 * <stem>-1<suffix>, …). Returns the first file of each preview, in order.
 */
export async function writePreviewFiles(dir: string, stem: string, previews: readonly RenderedPreview[]): Promise<string[]> {
  const first: string[] = [];
  for (const [i, p] of previews.entries()) {
    const base = i === 0 ? stem : `${stem}-${i}`;
    let head: string | undefined;
    for (const f of p.files) {
      const file = await writeRunFile(dir, `${base}${f.suffix}`, f.bytes);
      head ??= file;
    }
    first.push(head ?? path.join(dir, base));
  }
  return first;
}

/** Writes `bytes` to DIR/name atomically (readers see the old file or the new one); returns the path. */
export async function writeRunFile(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(dir, name);
  const temp = path.join(dir, tempName(name));
  try {
    await writeFile(temp, bytes, { flag: "wx" });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  return file;
}

export interface RunPicture {
  readonly name: string;
  readonly kind: "preview" | "samples";
  readonly step: number;
  readonly bytes: number;
}

/** The run's pictures, oldest step first. */
export async function listRunPictures(dir: string): Promise<RunPicture[]> {
  const out: RunPicture[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = PICTURE.exec(name);
    if (!m) continue;
    const size = await stat(path.join(dir, name)).then((s) => s.size, () => undefined);
    if (size === undefined) continue;
    out.push({ name, kind: m[1] as "preview" | "samples", step: Number(m[2]), bytes: size });
  }
  return out.sort((a, b) => a.step - b.step || a.name.localeCompare(b.name));
}

/**
 * Removes sample grids whose checkpoints are all gone (pruned by the retention policy), so the
 * pictures follow the checkpoints they illustrate. Previews are kept: each records a resume.
 * Only grids of steps before `before` are candidates: a newer grid belongs to a save still being
 * written (background saves), not yet listed.
 */
export async function pruneSampleGrids(dir: string, checkpointSteps: ReadonlySet<number>, before = Number.POSITIVE_INFINITY): Promise<string[]> {
  const removed: string[] = [];
  for (const p of await listRunPictures(dir)) {
    if (p.kind !== "samples" || p.step >= before || checkpointSteps.has(p.step)) continue;
    await rm(path.join(dir, p.name), { force: true });
    removed.push(p.name);
  }
  return removed;
}

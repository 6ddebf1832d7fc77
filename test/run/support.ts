/**
 * Shared pieces of the run tests: a RunOutput that records everything the run shows, a small
 * MNIST classifier run (fast enough for many runs per test), and checkpoint tensor comparison.
 */
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { loadMnist } from "../../src/engine/data/mnist.js";
import type { DatasetSplit } from "../../src/engine/data/dataset.js";
import { mlpClassifier } from "../../src/engine/models/mlp-classifier.js";
import { adamw } from "../../src/engine/optim/adamw.js";
import { cosineWithWarmup } from "../../src/engine/optim/schedules.js";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import type { RenderedPreview } from "../../src/render/rendered-preview.js";
import type { RenderedImage } from "../../src/render/mime-bundle.js";
import { resumable } from "../../src/run/resumable.js";
import type { ResumableOptions, Run } from "../../src/run/run.js";
import type { ProgressView, RunOutput } from "../../src/run/run-output.js";
import type { Table } from "../../src/run/table.js";

export interface Shown {
  readonly kind: "info" | "warn" | "event" | "table" | "image";
  readonly text: string;
  readonly image?: RenderedImage;
  /** For kind "image": the whole preview (a grid, text, a plot, audio). */
  readonly preview?: RenderedPreview;
  readonly file?: string;
}

/** Records what a run shows; `onProgress` can act on the live view (e.g. abort at a step). */
export class RecordingOutput implements RunOutput {
  readonly shown: Shown[] = [];
  readonly views: ProgressView[] = [];
  ended = 0;

  constructor(
    readonly pictures = false,
    private readonly onProgress?: (view: ProgressView) => void,
  ) {}

  info(text: string): void {
    this.shown.push({ kind: "info", text });
  }
  warn(text: string): void {
    this.shown.push({ kind: "warn", text });
  }
  event(text: string): void {
    this.shown.push({ kind: "event", text });
  }
  table(table: Table): void {
    this.shown.push({ kind: "table", text: [table.title ?? "", ...table.rows.map((r) => r.join(" = "))].join("\n") });
  }
  preview(preview: RenderedPreview, file?: string): void {
    const text = preview.bundle["text/plain"];
    this.shown.push({ kind: "image", text: typeof text === "string" ? text : "", preview, ...(preview.image === undefined ? {} : { image: preview.image }), ...(file === undefined ? {} : { file }) });
  }
  progress(view: ProgressView): void {
    this.views.push(view);
    this.onProgress?.(view);
  }
  end(): void {
    this.ended++;
  }

  texts(kind?: Shown["kind"]): string[] {
    return this.shown.filter((s) => kind === undefined || s.kind === kind).map((s) => s.text);
  }
}

let mnist: Promise<DatasetSplit> | undefined;
export function mnistOnce(): Promise<DatasetSplit> {
  mnist ??= loadMnist();
  return mnist;
}

/** A small MLP classifier run: well under 1 ms per step, dropout (so the generator matters), cosine schedule. */
export async function mlpRun(dir: string, overrides: Partial<ResumableOptions> = {}): Promise<Run> {
  return resumable({
    dir,
    model: mlpClassifier({ inputSize: 784, hidden: [32], classes: 10, dropout: 0.1 }),
    data: await mnistOnce(),
    optimizer: adamw(),
    // Decays over the whole of any test run and never reaches 0, so every step changes the weights
    // and the step count fed to the schedule matters after a resume.
    schedule: cosineWithWarmup({ lr: 3e-3, warmupSteps: 10, totalSteps: 100_000, minLr: 1e-4 }),
    steps: 120,
    batchSize: 32,
    checkpointEvery: 40,
    evalEvery: 40,
    evalBatches: 2,
    seed: 7,
    preview: { samples: 8 },
    output: new RecordingOutput(),
    ...overrides,
  });
}

/** Asserts the model tensors of two checkpoints (by directory path) are bitwise equal. */
export async function assertSameModel(a: string, b: string): Promise<void> {
  const ra = await CheckpointStore.open(dirname(a), { readOnly: true });
  const rb = await CheckpointStore.open(dirname(b), { readOnly: true });
  try {
    const ta = (await ra.load(a)).tensors["model"] ?? {};
    const tb = (await rb.load(b)).tensors["model"] ?? {};
    assert.deepEqual(Object.keys(ta).sort(), Object.keys(tb).sort());
    assert.ok(Object.keys(ta).length > 0);
    for (const [name, t] of Object.entries(ta)) {
      const u = tb[name]!;
      const x = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      const y = Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength);
      assert.ok(x.equals(y), `tensor ${name} differs between ${a} and ${b}`);
    }
  } finally {
    await ra.close();
    await rb.close();
  }
}

/** Bytes of a checkpoint directory's files (as the store's listing counts them). */
export function statSize(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

/**
 * What a model can show of itself as a sample grid: generated images for a diffusion model
 * (DDIM from the same generator fork every time, so successive grids show the same samples getting
 * better), predictions with their labels for a classifier (fixed held-out images, wrong ones
 * marked). Nothing here touches the training generator.
 *
 * Diffusion grids are drawn on a sampler thread (diffusion-previewer.ts) so training goes on
 * meanwhile; classifier grids (one forward pass of a few images, a few ms) on the caller's thread.
 */
import type { Batch } from "../engine/data/batch.js";
import type { Dataset } from "../engine/data/dataset.js";
import type { Model } from "../engine/nn/model.js";
import type { Generator } from "../engine/random/generator.js";
import type { TensorGroup } from "../tensor.js";
import type { SampleGridResult } from "../render/sample-grid.js";
import { ClassifierPreviewer } from "./classifier-previewer.js";
import { DiffusionPreviewer, isDiffusion } from "./diffusion-previewer.js";
import { runMessages as msg } from "./messages.js";
import type { SamplerStarter } from "./sampler-thread.js";

/** A grid (and whether it was drawn on the sampler thread), or why there is none: replaced by a newer request while waiting, or the previewer closed. */
export type GridOutcome = { readonly grid: SampleGridResult; readonly offThread: boolean } | { readonly skipped: "superseded" | "closed" };

export interface GridRequestOptions {
  /** Draw on the caller's thread even with a sampler thread (when the caller waits anyway and the thread may still be starting). */
  readonly onThisThread?: boolean;
}

export interface Previewer {
  /** What the grid shows, for captions: "samples" or "predictions". */
  readonly kind: "samples" | "predictions";
  /**
   * Whether request() hands the work to another thread: the caller may then go on (and replace
   * the parameters) while the grid is drawn. Otherwise the grid is drawn on the caller's thread
   * from the parameters as they are, and the caller should await it before changing them.
   */
  readonly offThread: boolean;
  /**
   * Starts the sampler thread, if the previewer has one, ahead of the first request. `gridSoon`:
   * a grid is requested at once (the thread prepares for weights-only requests after it).
   */
  start(gridSoon: boolean): void;
  /** When the sampler thread answered "ready" (performance.now()); undefined without one. */
  readonly samplerReady: Promise<number> | undefined;
  /**
   * The grid of these parameters (the session's current ones, or a checkpoint's). Off-thread,
   * they are copied before this returns. Rejects if the grid cannot be drawn.
   */
  request(parameters: TensorGroup, caption: string, options?: GridRequestOptions): Promise<GridOutcome>;
  /** Stops the sampler thread (grids not done end as skipped "closed"). Idempotent. */
  close(): Promise<void>;
}

export interface PreviewSettings {
  readonly samples: number;
  readonly samplerSteps: number;
  readonly eta: number;
  /** onnxruntime threads on the caller's thread (default 2). */
  readonly threads: number | undefined;
  /** A fresh generator for each grid (the same stream every time). */
  readonly generator: () => Generator;
  /** Held-out (else training) images for the classifier. */
  readonly images: Dataset;
  /** Where diffusion grids may be drawn: "thread" on a sampler thread (unless a request says otherwise), "main" on the caller's. */
  readonly sampler: "thread" | "main";
  /** Called once if the sampler thread cannot start or dies (grids are then drawn on the caller's thread). */
  readonly onFallback: (detail: string) => void;
  /** How the sampler thread is started (tests inject a failing one). */
  readonly startSampler?: SamplerStarter;
}

/** The previewer for this model, or why there is none. */
export function choosePreviewer(model: Model<Batch>, settings: PreviewSettings): Previewer | { reason: string } {
  if (isDiffusion(model)) return new DiffusionPreviewer(model, settings);
  if (model.graphs?.["predict"] !== undefined) return new ClassifierPreviewer(model, settings);
  return { reason: msg.noPreviewForModel() };
}

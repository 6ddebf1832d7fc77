/**
 * What a run shows of its model (interface): the previews the model declares (image grids, text,
 * plots, audio — src/run/previews/), drawn from given parameters: the checkpoint's on resume, the
 * session's beside each checkpoint. run-previews.ts implements it; the run never asks what kind of
 * model it trains.
 */
import type { JsonObject } from "../engine/nn/json.js";
import type { RenderedPreview } from "../render/rendered-preview.js";
import type { TensorGroup } from "../tensor.js";

/**
 * The previews (in the model's order, and whether the heavy ones were drawn on the sampler thread),
 * with what their numbers say is wrong with the model (non-finite values, degenerate samples: one
 * line each, empty when nothing is), or why there are none this time.
 */
export type PreviewOutcome =
  | { readonly previews: readonly RenderedPreview[]; readonly offThread: boolean; readonly problems: readonly string[] }
  | { readonly skipped: "superseded" | "closed" };

export interface PreviewRequestOptions {
  /** Compute on the caller's thread even with a sampler thread (when the caller waits anyway and the thread may still be starting). */
  readonly onThisThread?: boolean;
}

export interface Previewer {
  /**
   * Whether request() hands the heavy work to another thread. The caller may then go on with
   * training meanwhile (steps replace the parameter buffers, never write into them).
   */
  readonly offThread: boolean;
  /** Starts the sampler thread, if the previewer has one, ahead of the first request. */
  start(): void;
  /** When the sampler thread answered "ready" (performance.now()); undefined without one. */
  readonly samplerReady: Promise<number> | undefined;
  /** The previews of these parameters at `step`. Rejects if one cannot be drawn. */
  request(parameters: TensorGroup, step: number, caption: string, options?: PreviewRequestOptions): Promise<PreviewOutcome>;
  /** What the run's previews record (kind and settings with defaults filled in), for the checkpoint's state. */
  readonly recorded: readonly { readonly kind: string; readonly settings: JsonObject }[];
  /** Stops the sampler thread (previews not done end as skipped "closed"). Idempotent. */
  close(): Promise<void>;
}

/**
 * Preview kinds (interface and registry). A model declares previews as data — a kind and JSON
 * settings (src/engine/nn/preview-spec.ts) — and the kind registered under that name draws them,
 * in three steps so the slow one can run off the training thread:
 *
 *   prepare  (training thread, once per run)  settings completed from the model and data: defaults,
 *            the held-out rows it shows, a tokenizer's vocabulary → plain data that crosses threads
 *   compute  (any thread, onnxruntime only)   runs the model's graphs with the weights being
 *            previewed → numbers (samples, logits, generated ids, audio)
 *   render   (training thread)                numbers → a RenderedPreview (PNG, HTML, text, WAV)
 *   check    (optional)                       numbers → what is wrong with the model, if anything
 *            (the resume preview is a validation gate)
 *
 * Kinds are registered by register-all-previews.ts; a user may register one of their own
 * (registerPreviewKind) as they register a gradient. A miss throws naming the known kinds.
 */
import type { Dataset } from "../../engine/data/dataset.js";
import type { JsonObject } from "../../engine/nn/json.js";
import type { Feeds, Model } from "../../engine/nn/model.js";
import type { Generator } from "../../engine/random/generator.js";
import type { RenderedPreview } from "../../render/rendered-preview.js";
import type { Tensor, TensorGroup } from "../../tensor.js";

/** A graph a preview runs, at the batch size it runs it. */
export interface PreviewGraphNeed {
  readonly graph: string;
  readonly batchSize: number;
}

/** A preview made ready for a run: plain data (JSON and typed arrays) that crosses threads. */
export interface PreparedPreview {
  readonly kind: string;
  /** The settings with every default filled in (recorded with the run). */
  readonly settings: JsonObject;
  /** Data the preview shows or starts from (held-out rows, prompts as ids), fixed for the run. */
  readonly tensors: TensorGroup;
  readonly graphs: readonly PreviewGraphNeed[];
}

/** What compute() may do: run the model's graphs with the weights being previewed. */
export interface PreviewComputeContext {
  run(graph: string, batchSize: number, feeds: Feeds): Promise<Record<string, Tensor>>;
  /** The same stream for every preview of the run (a fork of the run's seed). */
  readonly rng: Generator;
  /** Asked between long steps (DDIM steps, generated tokens): true abandons the preview. */
  readonly stopped: () => boolean;
}

export interface PreviewResult {
  readonly tensors: TensorGroup;
  readonly json: JsonObject;
}

/** Run-wide preview options the user sets on resumable() ({ samples, samplerSteps, eta }). */
export interface PreviewOverrides {
  readonly samples?: number;
  readonly samplerSteps?: number;
  readonly eta?: number;
}

export interface PreviewKind {
  readonly kind: string;
  /** Worth a thread of its own (many graph runs: sampling loops, generation); else drawn on the training thread. */
  readonly heavy: boolean;
  /** Completes the settings; RangeError/TypeError naming the setting when they do not fit the model or data. */
  prepare(settings: JsonObject, model: Model<never>, data: Dataset | undefined, overrides: PreviewOverrides): PreparedPreview;
  compute(prepared: PreparedPreview, context: PreviewComputeContext): Promise<PreviewResult>;
  render(prepared: PreparedPreview, result: PreviewResult, caption: string): Promise<RenderedPreview>;
  /**
   * What is wrong with a result as a sign of a broken model (all samples constant or identical…),
   * in one line, or undefined. Used when the resume preview validates a checkpoint; every result is
   * checked for non-finite numbers besides (preview-check.ts).
   */
  check?(prepared: PreparedPreview, result: PreviewResult): string | undefined;
}

const registry = new Map<string, PreviewKind>();

/** Registers a preview kind; a second one of the same name is refused unless `replace`. */
export function registerPreviewKind(kind: PreviewKind, options: { readonly replace?: boolean } = {}): void {
  if (registry.has(kind.kind) && options.replace !== true) {
    throw new Error(`A preview kind '${kind.kind}' is already registered; pass { replace: true } to replace it.`);
  }
  registry.set(kind.kind, kind);
}

export function registeredPreviewKinds(): string[] {
  return [...registry.keys()].sort();
}

export function previewKind(name: string): PreviewKind {
  const kind = registry.get(name);
  if (kind === undefined) {
    throw new RangeError(
      `No preview kind '${name}' is registered (known: ${registeredPreviewKinds().join(", ") || "none"}). Register it with registerPreviewKind() before the run starts.`,
    );
  }
  return kind;
}

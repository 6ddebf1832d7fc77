/**
 * What crosses between the run's thread and the sampler thread (sampler-worker.ts): plain data,
 * typed arrays and SharedArrayBuffers only (functions and classes cannot cross threads).
 */
import type { Snapshot } from "../shared/snapshot.js";
import type { SerializedError } from "../shared/thread-errors.js";
import type { GeneratorState } from "../engine/random/generator.js";
import type { GraphSource } from "./preview-graphs.js";
import type { PreparedPreview, PreviewResult } from "./previews/preview-kind.js";

/** The sampler thread's workerData. */
export interface SamplerInit {
  /** The previews it computes (built-in kinds: no user code crosses threads). */
  readonly previews: readonly PreparedPreview[];
  /** The graphs they run, by graphKey(), without weights. */
  readonly graphs: Readonly<Record<string, GraphSource>>;
  /** onnxruntime intra-op threads of the thread's sessions. */
  readonly threads: number;
  /**
   * Set to 1 (Atomics) when the run's side closes the thread: the preview being computed stops
   * after its current step (DDIM step, token). (The thread is never terminated while in
   * onnxruntime: terminating a worker during a native call aborts the whole process.)
   */
  readonly stop: Int32Array;
}

/** Run's thread → sampler thread: finish or abandon the preview being computed, then exit. */
export interface CloseRequest {
  readonly kind: "close";
}

/** Run's thread → sampler thread: compute every preview of `init.previews` for these weights. */
export interface SampleRequest {
  readonly id: number;
  /** A copy of the weights (a snapshot with one group, "model"). */
  readonly weights: Snapshot;
  /** Each preview's generator state (a fork of the run's seed), so both threads draw the same numbers. */
  readonly rng: readonly GeneratorState[];
}

/** Sampler thread → run's thread. */
export type SamplerReply =
  /** Loaded, listening; `at` = performance.timeOrigin + performance.now() on that thread (the main thread may read the message much later). */
  | { readonly kind: "ready"; readonly at: number }
  | { readonly kind: "results"; readonly id: number; readonly results: readonly PreviewResult[] }
  | { readonly kind: "failed"; readonly id: number; readonly error: SerializedError };

/**
 * What crosses between the run's thread and the sampler thread (sampler-worker.ts): plain data,
 * typed arrays and SharedArrayBuffers only (functions and classes cannot cross threads).
 */
import type { Snapshot } from "../checkpoint/snapshot.js";
import type { SerializedError } from "../checkpoint/thread-errors.js";
import type { DiffusionSpec } from "../engine/diffusion/ddpm-model.js";
import type { JsonObject } from "../engine/nn/json.js";
import type { GeneratorState } from "../engine/random/generator.js";

/** The DDIM settings of every grid of a run. */
export interface SampleSettings {
  /** Images per grid (the sampling graph's batch size). */
  readonly samples: number;
  /** DDIM steps (already capped at the schedule's length). */
  readonly samplerSteps: number;
  readonly eta: number;
}

/** The sampler thread's workerData. */
export interface SamplerInit {
  /** The noise schedule and image shape (plain data: a NoiseSchedule is JSON and Float64Arrays). */
  readonly spec: DiffusionSpec;
  readonly settings: SampleSettings;
  /** The model's recorded config: the thread rebuilds the model from it (model registry) to build graphs itself. */
  readonly modelConfig: JsonObject;
  /** onnxruntime intra-op threads of the thread's sessions. */
  readonly threads: number;
  /**
   * Load the graph builder as soon as the thread is ready (no grid is coming at once); else after
   * the first grid, so that one (the resume preview, which the run waits for) is not delayed.
   */
  readonly prepare: boolean;
  /**
   * Set to 1 (Atomics) when the run's side closes the thread: the grid being drawn stops after
   * its current DDIM step. (The thread is never terminated while in onnxruntime: terminating a
   * worker during a native call aborts the whole process.)
   */
  readonly stop: Int32Array;
}

/** Run's thread → sampler thread: finish or abandon the grid being drawn, then exit. */
export interface CloseRequest {
  readonly kind: "close";
}

/**
 * The sampling graph of one grid: ONNX bytes with the weights as initializers, built by the
 * run's thread; or a copy of the weights (a snapshot with one group, "model"), from which the
 * sampler thread builds the same graph.
 */
export type GraphSource = { readonly bytes: Uint8Array } | { readonly weights: Snapshot };

/** Run's thread → sampler thread: draw one grid's samples. */
export interface SampleRequest {
  readonly id: number;
  readonly graph: GraphSource;
  /** The sampling generator's state (a fork of the run's seed), so both threads draw the same numbers. */
  readonly rng: GeneratorState;
}

/** Sampler thread → run's thread. */
export type SamplerReply =
  /** Loaded, listening; `at` = performance.timeOrigin + performance.now() on that thread (the main thread may read the message much later). */
  | { readonly kind: "ready"; readonly at: number }
  /** Whether it can build graphs from weights (it loads the graph builder after its first grid). */
  | { readonly kind: "builder"; readonly ok: true }
  | { readonly kind: "builder"; readonly ok: false; readonly reason: string }
  /** The samples, [samples, C, H, W] float32 in [−1, 1] (the buffer is transferred). */
  | { readonly kind: "samples"; readonly id: number; readonly images: Float32Array }
  | { readonly kind: "failed"; readonly id: number; readonly error: SerializedError };

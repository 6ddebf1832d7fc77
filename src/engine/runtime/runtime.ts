/**
 * What the engine needs from an ONNX runtime: compile model bytes once, run with named feeds.
 * ort-runtime.ts implements it on onnxruntime-node; nothing else imports onnxruntime-node.
 */
import type { Tensor } from "../../tensor.js";

export interface SessionOptions {
  /** Intra-op threads; defaults to 2 (this project's machines have 2 cores). */
  readonly threads?: number;
  /** onnxruntime graph optimisation level; "all" by default. */
  readonly optimization?: "disabled" | "basic" | "extended" | "all";
  /**
   * A directory of graphs onnxruntime already optimised (graph-cache.ts): the same model compiled
   * again loads its optimised form instead of optimising anew. Worth it for large graphs compiled
   * once per process (the training step); off by default.
   */
  readonly cacheDir?: string;
}

export interface CompiledGraph {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs the graph. Every output comes back in a fresh buffer owned by the caller.
   * Note: onnxruntime-node runs synchronously inside a setImmediate, blocking the event loop for the
   * whole run; control returns between runs, which is where interrupts are seen.
   */
  run(feeds: Readonly<Record<string, Tensor>>, fetches?: readonly string[]): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

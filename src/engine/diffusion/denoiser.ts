/**
 * What the samplers evaluate: one run of a DDPM model's "sample" graph (x_t, t → ε̂). A session's
 * `BoundGraph` (`session.graph("sample", n)`) is one; so is an exported inference model wrapped with
 * its batch size.
 */
import type { Tensor } from "../../tensor.js";
import type { Feeds } from "../nn/model.js";

export interface Denoiser {
  /** Images per run: the samplers generate exactly this many. */
  readonly batchSize: number;
  /** Feeds `x` [n, C, S, S] float32 and `t` [n] int64; returns at least `eps` [n, C, S, S] float32. */
  run(feeds: Feeds): Promise<Record<string, Tensor>>;
}

/** Options every sampler takes. */
export interface SamplerOptions {
  /**
   * Clip each step's estimate of x_0 to [−1, 1] (default true), as the reference implementations
   * do: it keeps an imperfect model's samples in the data range.
   */
  readonly clipDenoised?: boolean;
  /** x_T [n·C·S·S] to start from instead of drawing it from the generator (nothing is drawn then). */
  readonly initialNoise?: Float32Array;
  /** Called after each network evaluation with (evaluations done, total). */
  readonly onStep?: (done: number, total: number) => void;
}

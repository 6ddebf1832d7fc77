/**
 * What a TrainingSession trains. A model is a description, not a stateful object: it says which
 * inputs a step takes, builds the loss from a ParameterScope, and turns a data batch into feeds.
 *
 * `loss()` and the graphs' `build()` are pure graph builders: the session calls them once per graph it
 * builds (the step, the loss-only evaluation, each extra graph), and every call must ask for the same
 * parameters with the same shapes.
 *
 * Every piece of per-step randomness (diffusion noise and timesteps, dropout masks) is drawn in
 * `feeds()` from the generator it is given and fed to the graph as an input: never from onnxruntime's
 * own RNG ops, so a resumed run draws exactly what the uninterrupted run would have drawn.
 */
import type { DType, Tensor } from "../../tensor.js";
import type { Shape, Value } from "../graph/value.js";
import type { JsonObject } from "./json.js";
import type { ParameterScope } from "./parameter-scope.js";
import type { Generator } from "../random/generator.js";
import type { PreviewSpec } from "./preview-spec.js";

/** A graph input other than parameters (images, labels, noise, masks, timesteps...). */
export interface InputSpec {
  readonly dtype: DType;
  readonly shape: Shape;
}

export type InputSpecs = Readonly<Record<string, InputSpec>>;
export type InputValues = Readonly<Record<string, Value>>;
export type Feeds = Readonly<Record<string, Tensor>>;

/** What `Model.loss` builds: a scalar loss and optional scalar metrics (accuracy, ...). */
export interface LossGraph {
  readonly loss: Value;
  readonly metrics?: Readonly<Record<string, Value>>;
}

/**
 * An extra graph over the same parameters (eval, denoise step, sampler). The session feeds the
 * parameters from its current buffers; the caller feeds `inputs`.
 */
export interface ModelGraph {
  inputs(batchSize: number): InputSpecs;
  /** Built with `scope.training === false`. Returns the named outputs. */
  build(scope: ParameterScope, inputs: InputValues): Readonly<Record<string, Value>>;
}

export interface Model<Batch> {
  /**
   * The model's configuration as JSON (architecture, sizes...). It fingerprints the run: resuming a
   * checkpoint whose config differs is refused unless overridden.
   */
  readonly config: JsonObject;
  /** The training step's inputs for a batch size (all static shapes). */
  inputs(batchSize: number): InputSpecs;
  /** Builds the training loss (a float32 scalar) and optional scalar metrics. */
  loss(scope: ParameterScope, inputs: InputValues): LossGraph;
  /**
   * Turns a data batch into the step's feeds (every name `inputs()` declares), drawing all per-step
   * randomness from `rng` — and nothing else from it, in a fixed order, so the draws are reproducible.
   */
  feeds(batch: Batch, rng: Generator): Feeds;
  /** Extra graphs by name ("predict", "sample", "next", ...). */
  readonly graphs?: Readonly<Record<string, ModelGraph>>;
  /** What the run shows of the model on resume and beside each checkpoint (none: it says so). */
  readonly previews?: readonly PreviewSpec[];
}

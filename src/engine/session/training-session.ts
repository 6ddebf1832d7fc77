/**
 * The training session (interface). One fused ONNX graph per step:
 *
 *   inputs:  parameters, optimizer state, the model's batch inputs, lr, step
 *   outputs: loss, metrics, new parameters, new optimizer state
 *
 * compiled once; `step()` runs it and swaps the returned buffers in. Extra graphs (eval, sample)
 * share the parameters: the session feeds them from its current buffers.
 */
import type { Tensor, TensorGroup } from "../../tensor.js";
import type { JsonObject, JsonValue } from "../nn/json.js";
import type { Feeds, Model } from "../nn/model.js";
import type { ParameterSpec } from "../nn/parameter-scope.js";
import type { Generator } from "../random/generator.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { Schedule } from "../optim/schedule.js";

export interface TrainingSessionOptions<Batch> {
  readonly model: Model<Batch>;
  readonly optimizer: Optimizer;
  /** Learning rate per step. */
  readonly schedule: Schedule;
  /** Fixed batch size of the step graph (shapes are static). */
  readonly batchSize: number;
  /** Draws the initial parameters, then every step's randomness. Its state is in the state dict. */
  readonly rng: Generator;
  /** Clip the gradients' global L2 norm to this value (off by default). */
  readonly clipGradNorm?: number;
  /** onnxruntime intra-op threads (default 2). */
  readonly threads?: number;
  /**
   * Compute the gradients' global L2 norm every step (reported as metrics.grad_norm, and a step
   * whose norm is not finite is refused like one whose loss is not). Always on with clipGradNorm.
   * One ReduceSumSquare per parameter group: no difference measurable beside the step's noise on
   * the demo's UNets (2 cores).
   */
  readonly gradNorm?: boolean;
}

export interface StepOptions {
  /**
   * A step whose loss or gradient norm is not finite: false (default) throws ENGINE_NONFINITE_LOSS /
   * ENGINE_NONFINITE_GRADIENT; true skips it — parameters and optimizer state stay as they were, the
   * step count advances (the batch and its randomness are used up) and the result says `skipped`.
   */
  readonly skipNonFinite?: boolean;
}

export interface StepResult {
  /** The step number just completed (1 after the first step). */
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  readonly metrics: Readonly<Record<string, number>>;
  /** Set when the step was skipped (StepOptions.skipNonFinite): what was not finite. */
  readonly skipped?: "loss" | "gradient";
}

/** JSON part of the state dict. */
export interface TrainingState {
  /** Completed steps. */
  readonly step: number;
  /** The model's config (the run's fingerprint). */
  readonly model: JsonObject;
  readonly optimizer: JsonObject;
  readonly schedule: JsonObject;
  /** The generator's state after the last step. */
  readonly rng: JsonValue;
  /** Whatever the caller adds (data cursor, epoch, loss history...). */
  readonly [key: string]: JsonValue;
}

export interface StateDict {
  readonly tensors: { readonly model: TensorGroup; readonly optimizer: TensorGroup };
  readonly state: TrainingState;
}

/** An extra graph bound to the session's current parameters. */
export interface BoundGraph {
  readonly name: string;
  readonly batchSize: number;
  /**
   * Runs with the caller's inputs; parameters are fed from the session's current buffers. Random
   * inputs the graph declares (scope.random) are drawn from `rng` unless fed.
   */
  run(feeds: Feeds, rng?: Generator): Promise<Record<string, Tensor>>;
}

export interface TrainingSession<Batch> {
  readonly model: Model<Batch>;
  /** Completed steps. */
  readonly stepCount: number;
  readonly batchSize: number;
  readonly parameterSpecs: readonly ParameterSpec[];
  /**
   * A fingerprint of what the model's loss graph computes (its nodes, inputs and constants): equal
   * for the same model code, different when a layer, activation or loss changed.
   */
  readonly modelFingerprint: string;
  /** The current parameters (the session's own buffers: read, don't write). */
  parameters(): TensorGroup;
  /**
   * One step: feeds from `model.feeds(batch, rng)`, lr from the schedule, then the fused graph. A
   * non-finite loss (or gradient norm, when computed) is never applied: it throws, or skips the step.
   */
  step(batch: Batch, options?: StepOptions): Promise<StepResult>;
  /** One step with ready feeds (the caller drew any randomness). */
  stepWithFeeds(feeds: Feeds, options?: StepOptions): Promise<StepResult>;
  /**
   * The session's tensors and JSON state, plus `extra` in state. The tensors are the current buffers,
   * not copies: a step replaces buffers and never writes into them, so a state dict stays valid.
   */
  stateDict(extra?: Readonly<Record<string, JsonValue>>): StateDict;
  /** Replaces parameters, optimizer state, step and generator state; checks names, shapes, dtypes. */
  loadStateDict(dict: StateDict): void;
  /**
   * Loss and metrics of the current parameters on a batch, updating nothing (the loss graph built
   * with `training = false`, compiled on first use). Draws the batch's randomness from `rng`, not from
   * the session's generator, so evaluating never changes the training run.
   */
  evaluate(batch: Batch, rng: Generator): Promise<{ loss: number; metrics: Record<string, number> }>;
  /** Compiles (once per name and batch size) an extra graph of the model over the same parameters. */
  graph(name: string, batchSize: number): Promise<BoundGraph>;
  release(): Promise<void>;
}

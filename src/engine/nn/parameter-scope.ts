/**
 * Where layers get their parameters while a graph is being built.
 *
 *   const l1 = scope.child("fc1");
 *   const w = l1.param("weight", [784, 256], kaimingUniform(784));   // → Value "fc1.weight"
 *
 * A scope is bound to one graph. The same model code builds the training step, the eval and sample
 * graphs and the exported inference model; only the binding differs (a graph input fed from the
 * session's buffers, a slice of one flat parameter vector, or an initializer holding trained values).
 * Names are hierarchical and dot-separated; they are the parameter names in the state dict and in
 * model.safetensors. Asking twice for the same name in one graph returns the same Value (shared weights).
 */
import type { GraphBuilder } from "../graph/graph-builder.js";
import type { Shape, Value } from "../graph/value.js";
import type { Initializer } from "./initializer.js";
import type { RandomDistribution } from "./random-input.js";

export interface ParameterOptions {
  /**
   * Whether weight decay applies (AdamW, SGD). Default: true for weights of rank ≥ 2, false for
   * vectors (biases, normalisation gains and offsets), as is usual.
   */
  readonly decay?: boolean;
}

/** A parameter as declared by the model: everything but its values. */
export interface ParameterSpec {
  /** Full dot-separated name, e.g. "down1.conv.weight". */
  readonly name: string;
  readonly dtype: "float32";
  readonly shape: Shape;
  readonly init: Initializer;
  readonly decay: boolean;
}

export interface ParameterScope {
  readonly graph: GraphBuilder;
  /** Dot-separated path of this scope ("" at the root). */
  readonly path: string;
  /** True while building the training step (dropout on, ...); false for eval, sampling and export. */
  readonly training: boolean;
  /** A sub-scope: its parameters are named `<path>.<name>.<param>`. */
  child(name: string): ParameterScope;
  /**
   * The parameter `name` in this scope, as a float32 Value of `shape`. The initialiser is used once,
   * when the session creates initial parameters; asking again with another shape throws.
   */
  param(name: string, shape: Shape, init: Initializer, options?: ParameterOptions): Value;
  /**
   * A float32 input of `shape` drawn fresh for every run of the graph from the run's generator
   * (dropout masks, noise): never onnxruntime's RNG, so a resumed run draws what the uninterrupted
   * one did. Named `random:<path>.<name>`; asking twice for one name returns the same Value.
   */
  random(name: string, shape: Shape, distribution: RandomDistribution): Value;
}

/**
 * Composite gradients: a sub-graph built from standard ops can carry one gradient function for the
 * whole of it (as tf.customGrad / jax.custom_vjp), when the per-op chain rule would spend more
 * passes over big tensors than a closed form does (GroupNorm, SiLU: composites/).
 *
 *   const y = mul(a, sigmoid(a));
 *   defineCompositeGradient(y, { inputs: [a], gradient: (dy) => [dy·(s + y·(1 − s))] });
 *
 * `gradients()` then hands d(loss)/dy to that function when it reaches y's node, accumulates what it
 * returns into the composite's inputs, and gives nothing to the nodes inside the composite. A value
 * inside it that something outside also reads still gets those other gradients through its own
 * ops, so the result stays the full derivative.
 */
import type { Node, Value } from "../graph/value.js";

export interface CompositeGradient {
  /** Values computed outside the composite that it reads. */
  readonly inputs: readonly Value[];
  /**
   * Gradients w.r.t. `inputs` given d(loss)/d(output); `needs[i]` says whether input i wants one
   * (return undefined otherwise).
   */
  readonly gradient: (dy: Value, needs: readonly boolean[]) => readonly (Value | undefined)[];
}

const composites = new WeakMap<Node, CompositeGradient>();

/** Gives `output` (a single-output node's value) the composite gradient `def`; returns `output`. */
export function defineCompositeGradient(output: Value, def: CompositeGradient): Value {
  const node = output.producer;
  if (node === undefined || node.outputs.length !== 1) {
    throw new Error(`defineCompositeGradient: ${output.name} must be the only output of a node.`);
  }
  if (composites.has(node)) throw new Error(`defineCompositeGradient: ${output.name} already has a composite gradient.`);
  for (const v of def.inputs) {
    if (v.graph !== output.graph) throw new Error(`defineCompositeGradient: input ${v.name} belongs to another graph.`);
  }
  composites.set(node, def);
  return output;
}

export function compositeGradient(node: Node): CompositeGradient | undefined {
  return composites.get(node);
}

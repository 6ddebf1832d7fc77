/**
 * Composite gradients: a sub-graph built from standard ops can carry one gradient function for the
 * whole of it (as tf.customGrad / jax.custom_vjp), when the per-op chain rule would spend more
 * passes over big tensors than a closed form does (GroupNorm, SiLU: composites/), or is numerically
 * worse, or goes through an op without a gradient whose derivative you know in closed form.
 *
 *   const s = sigmoid(a);
 *   const y = defineCompositeGradient(mul(a, s), {
 *     inputs: [a],
 *     gradient: (dy) => [mul(dy, add(s, mul(y, sub(scalarLike(a, 1), s))))],
 *   });
 *
 * `gradients()` then hands d(loss)/dy to that function when it reaches y's node, accumulates what it
 * returns into the composite's inputs, and gives nothing to the nodes inside the composite. A value
 * inside it that something outside also reads still gets those other gradients through its own
 * ops, so the result stays the full derivative.
 *
 * For users: prefer this to registerGradient when the gradient belongs to one computation in your
 * model rather than to every node of an op type. The rules: `y` is the only output of its node
 * (end the composite with one op, e.g. an Add); `inputs` lists every value from outside that the
 * gradient is for, in the graph of `y`; `gradient` returns one value per input with that input's
 * dtype and shape (undefined where `needs[i]` is false), built from values the forward pass made
 * or from new ops. Verify it with checkGradients (gradient-check.ts) before training.
 */
import { autodiffMessages } from "./messages.js";
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
  if (node === undefined || node.outputs.length !== 1) throw new Error(autodiffMessages.compositeNotSingleOutput(output.name));
  if (typeof def?.gradient !== "function") throw new TypeError(autodiffMessages.compositeNotFunction(output.name));
  if (composites.has(node)) throw new Error(autodiffMessages.compositeTwice(output.name));
  for (const v of def.inputs) {
    if (v.graph !== output.graph) throw new Error(autodiffMessages.compositeWrongGraph(v.name));
  }
  composites.set(node, def);
  return output;
}

/** The composite gradient attached to `node`, if any (gradients() asks before the op's own). */
export function compositeGradient(node: Node): CompositeGradient | undefined {
  return composites.get(node);
}

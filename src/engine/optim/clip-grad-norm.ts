/**
 * Global-norm gradient clipping in the graph, as torch.nn.utils.clip_grad_norm_:
 * n = ‖(g₁, g₂, …)‖₂, every gradient × min(1, max / (n + 1e-6)). Returns the clipped gradients and n
 * (the norm before clipping, worth reporting as a metric). globalNorm() alone is the norm without
 * clipping (what a divergence guard watches).
 */
import { div, mul, sqrt } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import { checkPositive } from "./hyperparameters.js";
import { optimMessages as msg } from "./messages.js";

export function clipGradNorm(grads: readonly Value[], maxNorm: number): { grads: Value[]; norm: Value } {
  checkPositive("clipGradNorm", "maxNorm", maxNorm);
  const norm = globalNorm(grads);
  const g = norm.graph;
  const factor = g.op("Min", [div(g.scalar(maxNorm), g.op("Add", [norm, g.scalar(1e-6)])), g.scalar(1)]);
  return { grads: grads.map((x) => mul(x, factor)), norm };
}

/** ‖(g₁, g₂, …)‖₂ over every gradient: NaN or Inf as soon as one element is. */
export function globalNorm(grads: readonly Value[]): Value {
  if (grads.length === 0) throw new RangeError(msg.noGradients());
  const g = grads[0]!.graph;
  const squares = grads.map((x) => g.op("ReduceSumSquare", [x], { keepdims: 0 }));
  const total = squares.length === 1 ? squares[0]! : g.op("Sum", squares);
  return sqrt(total);
}

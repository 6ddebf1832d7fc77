/** Shared rule for Max and Min: the gradient goes to the inputs equal to the result. */
import { cast, div, equal, mul } from "../../graph/functional.js";
import type { Value } from "../../graph/value.js";
import type { GradientContext } from "../gradient-registry.js";
import { unbroadcast } from "../unbroadcast.js";

/**
 * y = max/min(x₀, x₁, …) with broadcasting. Each input equal to y gets dy divided by how many inputs
 * tie there (PyTorch's torch.maximum does the same even split), so the gradients always sum to dy.
 */
export function extremumGradient(ctx: GradientContext): (Value | undefined)[] {
  const inputs = ctx.node.inputs.map((_, i) => ctx.input(i));
  const dy = ctx.dyOrZeros(0);
  if (inputs.length === 1) return [dy];
  const y = ctx.output(0);
  const hits = inputs.map((x) => cast(equal(x, y), y.dtype));
  const share = div(dy, ctx.graph.op("Sum", hits));
  return inputs.map((x, i) => (ctx.needs(i) ? unbroadcast(mul(share, hits[i]!), x.shape) : undefined));
}

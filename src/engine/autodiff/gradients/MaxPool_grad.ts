import { reshape, zeros } from "../../graph/functional.js";
import { product } from "../../graph/shape.js";
import type { GradientDefinition } from "../gradient-registry.js";
import { autodiffMessages } from "../messages.js";

/**
 * Y, I = MaxPool(X): each output's gradient goes to the one input element it was taken from. The
 * Indices output holds that element's flat index into X (batch and channel included), so
 * dX = ScatterElements(zeros, I, dY, reduction='add') over the flattened X: an element that is the
 * maximum of several overlapping windows collects from each. Exact, any rank, pads, strides,
 * dilations, ceil_mode. Ties: onnxruntime reports the first maximal element in window order, which
 * alone receives the gradient (as PyTorch does), a valid subgradient. When the node was created
 * without its Indices output, a second MaxPool computes them.
 */
export const maxPoolGrad: GradientDefinition = {
  opType: "MaxPool",
  gradient: (ctx) => {
    const x = ctx.input(0);
    if (ctx.attr("storage_order", 0) !== 0) {
      throw new Error(
        autodiffMessages.unsupportedGradient("MaxPool", ctx.node.id, "storage_order=1 (column-major indices)", "Leave storage_order at its default 0."),
      );
    }
    const indices = ctx.node.outputs[1] ?? ctx.graph.opMulti("MaxPool", [x], ctx.node.attributes)[1]!;
    const total = product(x.shape);
    const flat = ctx.graph.op(
      "ScatterElements",
      [zeros(x, [total]), reshape(indices, [product(indices.shape)]), reshape(ctx.dyOrZeros(0), [product(indices.shape)])],
      { axis: 0, reduction: "add" },
    );
    return [reshape(flat, x.shape)];
  },
};

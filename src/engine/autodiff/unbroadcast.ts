/** Sums a gradient over the axes broadcasting expanded, back to the input's shape. */
import { reduceSum, reshape } from "../graph/functional.js";
import { broadcastAxes, sameShape } from "../graph/shape.js";
import type { Shape, Value } from "../graph/value.js";

export function unbroadcast(grad: Value, to: Shape): Value {
  if (sameShape(grad.shape, to)) return grad;
  const axes = broadcastAxes(to, grad.shape);
  return reshape(reduceSum(grad, axes, true), to);
}

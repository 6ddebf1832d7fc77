/**
 * Losses and metrics for models of your own, built from ops the autodiff differentiates. Each
 * returns a float32 scalar (a mean over the batch), what Model.loss returns. (mseLoss is in functional.ts.)
 */
import { abs, add, cast, exp, log, meanAll, mul, neg, reduceMean, relu, reshape, scalarLike, sub } from "../graph/functional.js";
import type { Value } from "../graph/value.js";
import { nnMessages as msg } from "./messages.js";

function flatten2d(logits: Value, labels: Value, what: string): [Value, Value] {
  const rank = logits.shape.length;
  if (rank < 2) throw new RangeError(msg.badLogitsRank(what, logits.shape));
  const classes = logits.shape[rank - 1]!;
  const rows = logits.shape.slice(0, -1);
  if (labels.shape.length !== rows.length || labels.shape.some((d, i) => d !== rows[i])) {
    throw new RangeError(msg.labelsShape(what, labels.shape, rows));
  }
  if (labels.dtype !== "int64" && labels.dtype !== "int32") throw new TypeError(msg.labelsDtype(what, labels.dtype));
  const n = rows.reduce((a, b) => a * b, 1);
  return [reshape(logits, [n, classes]), reshape(cast(labels, "int64"), [n])];
}

/** Mean softmax cross-entropy of logits [N, …, C] against int labels [N, …] (the class axis last). */
export function crossEntropy(logits: Value, labels: Value): Value {
  const [l, y] = flatten2d(logits, labels, "crossEntropy");
  // Both outputs: the gradient then reuses log_prob instead of computing the softmax again.
  return l.graph.opMulti("SoftmaxCrossEntropyLoss", [l, y], { reduction: "mean" })[0]!;
}

/** The fraction of rows whose largest logit is the label's (a metric: it has no gradient). */
export function accuracy(logits: Value, labels: Value): Value {
  const [l, y] = flatten2d(logits, labels, "accuracy");
  const g = l.graph;
  const predicted = g.op("ArgMax", [l], { axis: 1, keepdims: 0 });
  return reduceMean(cast(g.op("Equal", [predicted, y]), "float32"), [0], false);
}

/** Mean absolute error over every element. */
export function l1Loss(prediction: Value, target: Value): Value {
  return meanAll(abs(sub(prediction, target)));
}

/**
 * Mean binary cross-entropy of logits against targets in [0, 1], in the stable form
 * max(x, 0) − x·y + log(1 + e^(−|x|)).
 */
export function binaryCrossEntropyWithLogits(logits: Value, targets: Value): Value {
  const t = cast(targets, logits.dtype);
  const softplusNegAbs = log(add(scalarLike(logits, 1), exp(neg(abs(logits)))));
  return meanAll(add(sub(relu(logits), mul(logits, t)), softplusNegAbs));
}

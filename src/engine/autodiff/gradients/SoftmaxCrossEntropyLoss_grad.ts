import { add, cast, div, equal, exp, gather, mul, not, scalarLike, sub, sumAll, unsqueeze, where } from "../../graph/functional.js";
import { product } from "../../graph/shape.js";
import type { Value } from "../../graph/value.js";
import { tensor } from "../../../tensor.js";
import type { GradientContext, GradientDefinition } from "../gradient-registry.js";
import { logSoftmaxBackward } from "./LogSoftmax_grad.js";
import { autodiffMessages } from "../messages.js";

/**
 * One-hot of the labels along axis 1, as Equal against a class-index constant: OneHot has no double
 * kernel in onnxruntime's CPU provider, Equal + Cast works for every float type.
 */
function oneHot(labels: Value, scores: Value): Value {
  const g = scores.graph;
  const classes = scores.shape[1]!;
  const shape = [1, classes, ...scores.shape.slice(2).map(() => 1)];
  const index = g.constant(
    tensor(
      "int64",
      shape,
      BigInt64Array.from({ length: classes }, (_, i) => BigInt(i)),
    ),
  );
  return cast(equal(unsqueeze(labels, [1]), index), scores.dtype);
}

/**
 * Per-sample weights [N, d…]: the class weight of each label and 0 where the label is ignore_index;
 * undefined when every sample weighs 1.
 */
function sampleWeights(ctx: GradientContext, labels: Value, dtype: Value["dtype"]): Value | undefined {
  const ignore = ctx.node.attributes["ignore_index"];
  const classWeights = ctx.node.inputs[2];
  let w: Value | undefined;
  let safe = labels;
  if (typeof ignore === "number") {
    const keep = not(equal(labels, scalarLike(labels, ignore)));
    w = cast(keep, dtype);
    safe = where(keep, labels, scalarLike(labels, 0)); // ignored labels may be out of range for Gather
  }
  if (classWeights !== undefined) {
    const picked = gather(classWeights, safe, 0);
    w = w === undefined ? picked : mul(w, picked);
  }
  return w;
}

/**
 * Scores [N, C, d…] → loss (mean, sum or none) and log_prob. With p = softmax(scores) = e^log_prob
 * and w the per-sample weight, d loss_i / d scores_i = w_i · (p_i − onehot_i); mean divides by Σw
 * (N·Πd without weights). Labels and class weights get no gradient.
 */
export const softmaxCrossEntropyLossGrad: GradientDefinition = {
  opType: "SoftmaxCrossEntropyLoss",
  gradient: (ctx) => {
    const scores = ctx.input(0);
    const logProb = ctx.node.outputs[1];
    if (logProb === undefined) {
      throw new Error(
        autodiffMessages.missingOutput(
          "SoftmaxCrossEntropyLoss",
          ctx.node.id,
          "log_prob",
          "Create the node with both outputs (GraphBuilder.op/opMulti without an output count) so its gradient can reuse the probabilities.",
        ),
      );
    }
    const labels = cast(ctx.input(1), "int64");
    let dx: Value | undefined;
    const dLoss = ctx.dy[0];
    if (dLoss !== undefined) {
      const w = sampleWeights(ctx, labels, scores.dtype);
      const reduction = ctx.attr("reduction", "mean");
      let s = dLoss; // [N, d…] for "none", a scalar otherwise
      if (reduction === "mean") s = w === undefined ? div(s, scalarLike(s, product(labels.shape))) : div(s, sumAll(w));
      if (w !== undefined) s = mul(s, w);
      const perSample = s.shape.length === 0 ? s : unsqueeze(s, [1]);
      dx = mul(sub(exp(logProb), oneHot(labels, scores)), perSample);
    }
    const dLogProb = ctx.dy[1];
    if (dLogProb !== undefined) {
      const viaLogProb = logSoftmaxBackward(logProb, dLogProb, 1);
      dx = dx === undefined ? viaLogProb : add(dx, viaLogProb);
    }
    return [dx, undefined, undefined];
  },
};

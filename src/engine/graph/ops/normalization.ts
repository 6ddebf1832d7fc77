/** Softmax family, normalisation layers and the classification loss. */
import { opMessages as msg } from "./messages.js";
import { registerOp, type InferenceContext } from "../op-schema.js";
import { broadcastShapes, normalizeAxis } from "../shape.js";

for (const opType of ["Softmax", "LogSoftmax"]) {
  registerOp({ opType, attributes: { axis: "int" }, infer: (ctx) => [{ dtype: ctx.input(0).dtype, shape: ctx.input(0).shape }] });
}

registerOp({
  opType: "LayerNormalization",
  attributes: { axis: "int", epsilon: "float", stash_type: "int" },
  infer: (ctx) => {
    const x = ctx.input(0);
    const axis = normalizeAxis(ctx.attr("axis", -1), x.shape.length);
    const normalized = x.shape.slice(axis);
    for (const i of [1, 2]) {
      const v = ctx.inputs[i];
      if (v !== undefined && broadcastShapes(v.shape, normalized)?.every((d, j) => d === normalized[j]) !== true) {
        ctx.fail(msg.normParameterBroadcast(i === 1 ? "scale" : "bias", v.shape, normalized));
      }
    }
    const stats = x.shape.map((d, i) => (i < axis ? d : 1));
    return [
      { dtype: x.dtype, shape: x.shape },
      { dtype: "float32", shape: stats },
      { dtype: "float32", shape: stats },
    ];
  },
});

/** Scale (input 1) and bias (input 2) must be [channels]. */
function perChannel(ctx: InferenceContext, channels: number): void {
  for (const i of [1, 2]) {
    const v = ctx.input(i);
    if (v.shape.length !== 1 || v.shape[0] !== channels) ctx.fail(msg.normParameterShape(i === 1 ? "scale" : "bias", channels, v.shape));
  }
}

registerOp({
  opType: "GroupNormalization",
  attributes: { epsilon: "float", num_groups: "int", stash_type: "int" },
  infer: (ctx) => {
    const x = ctx.input(0);
    const groups = ctx.requiredAttr<number>("num_groups");
    if (x.shape.length < 2 || x.shape[1]! % groups !== 0) ctx.fail(msg.groupsNotDivisor(x.shape[1], groups));
    // Opset 21 takes per-channel scale and bias (opset 18's per-group [num_groups] was a spec bug).
    perChannel(ctx, x.shape[1]!);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
});

registerOp({
  opType: "InstanceNormalization",
  attributes: { epsilon: "float" },
  infer: (ctx) => {
    perChannel(ctx, ctx.input(0).shape[1] ?? 0);
    return [{ dtype: ctx.input(0).dtype, shape: ctx.input(0).shape }];
  },
});

registerOp({
  opType: "SoftmaxCrossEntropyLoss",
  attributes: { ignore_index: "int", reduction: "string" },
  infer: (ctx) => {
    const scores = ctx.input(0);
    const labels = ctx.input(1);
    if (scores.shape.length < 2) ctx.fail(msg.scoresRank());
    const expected = [scores.shape[0]!, ...scores.shape.slice(2)];
    if (labels.shape.length !== expected.length || labels.shape.some((d, i) => d !== expected[i])) {
      ctx.fail(msg.labelsShape(expected));
    }
    if (labels.dtype !== "int64" && labels.dtype !== "int32") ctx.fail(msg.labelsDtype());
    const reduction = ctx.attr("reduction", "mean");
    const loss = reduction === "none" ? expected : [];
    return [
      { dtype: scores.dtype, shape: loss },
      { dtype: scores.dtype, shape: scores.shape },
    ];
  },
});

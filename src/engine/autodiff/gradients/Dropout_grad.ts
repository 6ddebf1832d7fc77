import { cast, div, mul, scalarLike, sub, where } from "../../graph/functional.js";
import type { Value } from "../../graph/value.js";
import type { GradientDefinition } from "../gradient-registry.js";
import { autodiffMessages } from "../messages.js";

/** A constant's single value, or undefined when it is not a known scalar. */
function knownScalar(v: Value | undefined): number | undefined {
  const t = v?.constant;
  if (t === undefined || t.data.length !== 1 || t.dtype === "float16" || t.dtype === "bfloat16") return undefined;
  return Number(t.data[0]);
}

/**
 * Dropout (opset 13+: ratio and training_mode are inputs). Without training mode it is the identity.
 * In training mode y = x · mask / (1 − ratio), so dx = dy · mask / (1 − ratio), with the mask the node
 * produced in this same run. A training_mode fed at run time selects between the two in the graph
 * (onnxruntime returns an all-true mask when not training).
 */
export const dropoutGrad: GradientDefinition = {
  opType: "Dropout",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const dy = ctx.dyOrZeros(0);
    const trainingInput = ctx.node.inputs[2];
    const training = trainingInput === undefined ? 0 : knownScalar(trainingInput);
    if (training === 0) return [dy, undefined, undefined];
    const mask = ctx.node.outputs[1];
    if (mask === undefined) {
      throw new Error(
        autodiffMessages.missingOutput(
          "Dropout",
          ctx.node.id,
          "mask",
          "In training mode create the node with both outputs (GraphBuilder.op/opMulti without an output count).",
        ),
      );
    }
    const ratioInput = ctx.node.inputs[1];
    const ratio = ratioInput === undefined ? 0.5 : knownScalar(ratioInput);
    let keepScale: Value = ratio !== undefined ? scalarLike(x, 1 / (1 - ratio)) : div(scalarLike(x, 1), sub(scalarLike(x, 1), cast(ratioInput!, x.dtype)));
    if (training === undefined) keepScale = where(trainingInput!, keepScale, scalarLike(x, 1));
    return [mul(mul(dy, cast(mask, x.dtype)), keepScale), undefined, undefined];
  },
};

/** User-facing text of errors thrown by the gradient registry, the op gradients and the finite-difference check; tests assert against these same functions. */
import { formatShape } from "../graph/shape.js";

/** Where users get the public gradient functions from. */
const ENTRY = `"nbresume/nn"`;

/** One element compared by the finite-difference check. */
export interface CheckedElement {
  readonly input: string;
  /** Row-major position in the input, and the same as one flat index. */
  readonly position: readonly number[];
  readonly index: number;
  readonly analytic: number;
  readonly numeric: number;
  /** atol + rtol · max(|analytic|, |numeric|). */
  readonly allowed: number;
}

function describeElement(e: CheckedElement): string {
  const diff = Math.abs(e.analytic - e.numeric);
  const where = e.position.length === 0 ? `'${e.input}' (a scalar)` : `'${e.input}'[${e.position.join(", ")}] (flat index ${e.index})`;
  return (
    `${where}: analytic ${e.analytic}, numeric ${e.numeric}, ` +
    `|difference| ${Number.isNaN(diff) ? "NaN" : diff.toPrecision(3)} > allowed ${e.allowed.toPrecision(3)}`
  );
}

export const autodiffMessages = {
  lossNotScalar(loss: string, shape: readonly number[]): string {
    return `gradients: the loss must be a scalar, got ${loss} ${formatShape(shape)}; pass a seed for non-scalar outputs.`;
  },
  wrtOtherGraph(value: string): string {
    return `gradients: ${value} belongs to another graph.`;
  },
  wrtNotFloat(value: string, dtype: string): string {
    return `gradients: ${value} is ${dtype}; only floating-point values have gradients.`;
  },
  inputOmitted(opType: string, input: number): string {
    return `${opType}: input ${input} was omitted.`;
  },
  noSuchOutput(opType: string, output: number): string {
    return `${opType}: output ${output} does not exist.`;
  },
  cannotShift(shifts: readonly number[], size: readonly number[], extent: readonly number[]): string {
    return `shifted: a shift of [${shifts.join(", ")}] cannot size [${size.join(", ")}] to [${extent.join(", ")}].`;
  },
  gradientAlreadyRegistered(opType: string): string {
    return (
      `A gradient for '${opType}' is already registered. ` +
      `To replace it (for example when re-running the notebook cell that registers it), pass { replace: true }: ` +
      `registerGradient({ opType: "${opType}", gradient }, { replace: true }).`
    );
  },
  noGradient(opType: string): string {
    return (
      `Op '${opType}' has no gradient registered. Register one with registerGradient({ opType: "${opType}", gradient }) from ${ENTRY}, ` +
      `then compare it with central finite differences using checkGradients (also from ${ENTRY}); ` +
      `or build the computation from ops that have gradients, giving it one with defineCompositeGradient.`
    );
  },
  compositeNotSingleOutput(output: string): string {
    return (
      `defineCompositeGradient: ${output} must be the only output of a node; a graph input, a constant or one of several outputs (Split) cannot carry a composite gradient. ` +
      `End the composite with a single-output op such as Add or Mul.`
    );
  },
  compositeNotFunction(output: string): string {
    return `defineCompositeGradient: the gradient for ${output} must be a function (dy, needs) => [one gradient per input].`;
  },
  compositeTwice(output: string): string {
    return `defineCompositeGradient: ${output} already has a composite gradient. Build the composite again (new nodes) to give it another.`;
  },
  compositeWrongGraph(input: string): string {
    return `defineCompositeGradient: input ${input} belongs to another graph.`;
  },
  gradientMissing(what: string, opType: string, nodeId: number, input: number, name: string): string {
    return `The ${what} ${opType} (node ${nodeId}) returned nothing for input ${input} (${name}), which needs one.`;
  },
  gradientMismatch(what: string, opType: string, input: number, got: string, expected: string): string {
    return `The ${what} ${opType} for input ${input} is ${got}, but the input is ${expected}. Return one gradient per input with that input's dtype and shape (summed over the axes the input was broadcast along).`;
  },
  exponentNeedsGradient(nodeId: number, exponent: string): string {
    return (
      `Pow (node ${nodeId}): the exponent '${exponent}' depends on a value being differentiated, but only a constant exponent has a gradient here. ` +
      `Keep the exponent constant, or write x^p as Exp(Mul(p, Log(x))) for x > 0.`
    );
  },
  missingOutput(opType: string, nodeId: number, output: string, fix: string): string {
    return `${opType} (node ${nodeId}): the gradient needs the node's ${output} output, which was not created. ${fix}`;
  },
  unsupportedGradient(opType: string, nodeId: number, what: string, fix: string): string {
    return `${opType} (node ${nodeId}): no gradient for ${what}. ${fix}`;
  },
  resizeNotRepeating(nodeId: number, what: string): string {
    return autodiffMessages.unsupportedGradient(
      "Resize",
      nodeId,
      what,
      "Only nearest-neighbour upsampling by whole factors that repeats each element has a gradient here " +
        "(upsampleNearest / upsampleNearest2x in src/engine/graph/functional.ts build one).",
    );
  },
  gradientNotRegistered(opType: string): string {
    return `No gradient for '${opType}' is registered, so there is none to unregister (registered: see registeredGradients()).`;
  },
  badGradientDefinition(problem: string): string {
    return `registerGradient: ${problem}. Pass { opType: "<ONNX op type>", gradient: (ctx) => [one gradient per input] }.`;
  },
  /** The report of a failed check: the worst element first, then up to `shown` others, then what to look at. */
  gradientCheckFailed(
    failures: readonly CheckedElement[],
    checked: number,
    settings: { readonly dtype: string; readonly eps: number; readonly rtol: number; readonly atol: number },
    shown = 5,
  ): string {
    const [worst, ...rest] = failures;
    const lines = [
      `Gradient check failed: ${failures.length} of ${checked} sampled elements disagree with central finite differences ` +
        `(${settings.dtype}, eps ${settings.eps}, rtol ${settings.rtol}, atol ${settings.atol}).`,
      `Worst: input ${worst === undefined ? "(none)" : describeElement(worst)}.`,
      ...rest.slice(0, shown).map((e) => `  also ${describeElement(e)}`),
      ...(rest.length > shown ? [`  … and ${rest.length - shown} more.`] : []),
      `Usually a gradient function between that input and the output is wrong (a registered gradient or a composite's). ` +
        `An input within eps of a kink (Relu at 0, Clip at a bound) or outside an op's domain also misleads the numeric slope: move such inputs away; ` +
        `float32 checks need eps ≈ 1e-2 and looser tolerances (the defaults for dtype "float32").`,
    ];
    return lines.join("\n");
  },
  gradientCheckNoKernel(dtype: string, reason: string): string {
    return (
      `Gradient check: onnxruntime could not compile the ${dtype} check graph (${reason}). ` +
      `onnxruntime's CPU provider has no float64 kernel for many ops (Erf, Softplus, Elu, LeakyRelu…): check them with dtype: "float32".`
    );
  },
  badGradientCheck(problem: string): string {
    return `checkGradients: ${problem}.`;
  },
};

/** User-facing text of errors thrown by op gradients; tests assert against these same functions. */

export function exponentNeedsGradient(nodeId: number, exponent: string): string {
  return `Pow (node ${nodeId}): the exponent '${exponent}' depends on a value being differentiated, but only a constant exponent has a gradient here. ` +
    `Keep the exponent constant, or write x^p as Exp(Mul(p, Log(x))) for x > 0.`;
}

export function missingOutput(opType: string, nodeId: number, output: string, fix: string): string {
  return `${opType} (node ${nodeId}): the gradient needs the node's ${output} output, which was not created. ${fix}`;
}

export function unsupportedGradient(opType: string, nodeId: number, what: string, fix: string): string {
  return `${opType} (node ${nodeId}): no gradient for ${what}. ${fix}`;
}

export function resizeNotRepeating(nodeId: number, what: string): string {
  return unsupportedGradient("Resize", nodeId, what,
    "Only nearest-neighbour upsampling by whole factors that repeats each element has a gradient here " +
    "(upsampleNearest / upsampleNearest2x in src/engine/graph/functional.ts build one).");
}

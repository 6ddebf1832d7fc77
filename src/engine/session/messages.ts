/** User-facing messages of the training session (tests assert against these functions). */
import { formatShape } from "../graph/shape.js";

type Shape = readonly number[];

export function unknownParameter(name: string, graph: string): string {
  return `Graph '${graph}' asks for parameter '${name}', which the training loss does not declare: every parameter must be used by Model.loss so it is initialised and trained.`;
}

export function missingTensor(group: string, name: string, expected: { dtype: string; shape: Shape }): string {
  return `loadStateDict: ${group} tensor '${name}' is missing (expected ${expected.dtype}${formatShape(expected.shape)}).`;
}

export function unexpectedTensor(group: string, name: string, known: readonly string[]): string {
  const list = known.slice(0, 6).join(", ") + (known.length > 6 ? ", ..." : "");
  return `loadStateDict: unexpected ${group} tensor '${name}' (this model's ${group} tensors are: ${list}). Was it saved from another model or optimizer?`;
}

export function tensorMismatch(group: string, name: string, expected: { dtype: string; shape: Shape }, got: { dtype: string; shape: Shape }): string {
  return `loadStateDict: ${group} tensor '${name}' expected ${expected.dtype}${formatShape(expected.shape)}, got ${got.dtype}${formatShape(got.shape)}.`;
}

export function badStep(got: unknown): string {
  return `loadStateDict: state.step must be a non-negative integer, got ${JSON.stringify(got)}.`;
}

export function missingFeed(name: string, expected: { dtype: string; shape: Shape }): string {
  return `Model.feeds() did not provide input '${name}' (expected ${expected.dtype}${formatShape(expected.shape)}).`;
}

export function feedMismatch(name: string, expected: { dtype: string; shape: Shape }, got: { dtype: string; shape: Shape }): string {
  return `Feed '${name}' expected ${expected.dtype}${formatShape(expected.shape)}, got ${got.dtype}${formatShape(got.shape)}.`;
}

export function unknownFeed(name: string, declared: readonly string[]): string {
  return `Feed '${name}' is not an input of the graph (inputs: ${declared.join(", ")}).`;
}

export function unknownGraph(name: string, known: readonly string[]): string {
  return `The model has no graph '${name}' (it has: ${known.length === 0 ? "none" : known.join(", ")}).`;
}

export function notScalar(what: string, shape: Shape): string {
  return `${what} must be a scalar, got shape ${formatShape(shape)}.`;
}

export function nonFiniteLoss(step: number, loss: number): string {
  return `Step ${step}: the loss is ${loss}. The parameters were not updated with it; lower the learning rate or clip gradients (clipGradNorm).`;
}

export function nonFiniteGradient(step: number, norm: number): string {
  return `Step ${step}: the gradient norm is ${norm}. The parameters were not updated with it; lower the learning rate or clip gradients (clipGradNorm).`;
}

export function exportWriteFailed(path: string, reason: string): string {
  return `Could not write the exported model to ${path}: ${reason}. Check that the directory exists and is writable.`;
}

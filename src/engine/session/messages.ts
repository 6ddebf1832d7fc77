/** User-facing messages of the training session (tests assert against these functions). */
import { formatShape } from "../graph/shape.js";

type Shape = readonly number[];

export const sessionMessages = {
  unknownParameter(name: string, graph: string): string {
    return `Graph '${graph}' asks for parameter '${name}', which the training loss does not declare: every parameter must be used by Model.loss so it is initialised and trained.`;
  },
  missingTensor(group: string, name: string, expected: { dtype: string; shape: Shape }): string {
    return `loadStateDict: ${group} tensor '${name}' is missing (expected ${expected.dtype}${formatShape(expected.shape)}).`;
  },
  unexpectedTensor(group: string, name: string, known: readonly string[]): string {
    const list = known.slice(0, 6).join(", ") + (known.length > 6 ? ", ..." : "");
    return `loadStateDict: unexpected ${group} tensor '${name}' (this model's ${group} tensors are: ${list}). Was it saved from another model or optimizer?`;
  },
  tensorMismatch(group: string, name: string, expected: { dtype: string; shape: Shape }, got: { dtype: string; shape: Shape }): string {
    return `loadStateDict: ${group} tensor '${name}' expected ${expected.dtype}${formatShape(expected.shape)}, got ${got.dtype}${formatShape(got.shape)}.`;
  },
  badStep(got: unknown): string {
    return `loadStateDict: state.step must be a non-negative integer, got ${JSON.stringify(got)}.`;
  },
  missingFeed(name: string, expected: { dtype: string; shape: Shape }): string {
    return `Model.feeds() did not provide input '${name}' (expected ${expected.dtype}${formatShape(expected.shape)}).`;
  },
  feedMismatch(name: string, expected: { dtype: string; shape: Shape }, got: { dtype: string; shape: Shape }): string {
    return `Feed '${name}' expected ${expected.dtype}${formatShape(expected.shape)}, got ${got.dtype}${formatShape(got.shape)}.`;
  },
  unknownFeed(name: string, declared: readonly string[]): string {
    return `Feed '${name}' is not an input of the graph (inputs: ${declared.join(", ")}).`;
  },
  unknownGraph(name: string, known: readonly string[]): string {
    return `The model has no graph '${name}' (it has: ${known.length === 0 ? "none" : known.join(", ")}).`;
  },
  notScalar(what: string, shape: Shape): string {
    return `${what} must be a scalar, got shape ${formatShape(shape)}.`;
  },
  nonFiniteLoss(step: number, loss: number): string {
    return `Step ${step}: the loss is ${loss}. The parameters were not updated with it; lower the learning rate or clip gradients (clipGradNorm).`;
  },
  badSessionBatchSize(got: number): string {
    return `createTrainingSession: batchSize must be a positive integer, got ${got}.`;
  },
  badClipGradNorm(got: number): string {
    return `createTrainingSession: clipGradNorm must be > 0, got ${got}.`;
  },
  badGraphBatchSize(graph: string, got: number): string {
    return `graph('${graph}'): batchSize must be a positive integer, got ${got}.`;
  },
  parameterNotRebuilt(param: string): string {
    return `Parameter '${param}' was declared when the model was first built but not this time: Model.loss must build the same graph every time.`;
  },
  lossNotFloat32(dtype: string): string {
    return `Model.loss: the loss must be float32, got ${dtype}.`;
  },
  noParameters(): string {
    return "Model.loss declared no parameters: there is nothing to train.";
  },
  nonFiniteGradient(step: number, norm: number): string {
    return `Step ${step}: the gradient norm is ${norm}. The parameters were not updated with it; lower the learning rate or clip gradients (clipGradNorm).`;
  },
};

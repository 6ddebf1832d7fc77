/**
 * What a model is, found by building its training loss once on a scratch graph (parameters as
 * plain inputs): the parameters it declares, in declaration order, and a fingerprint of what the
 * loss computes (graph/fingerprint.ts). The training session needs the first; the run compares the
 * second with a checkpoint's and with a cached session's, so a model whose code changed under an
 * unchanged config is neither resumed silently nor trained with the old compiled graph.
 *
 * Remembered per model object and batch size: the run asks before the session is created, the
 * session asks again, and the scratch build (a few ms for the UNet) happens once.
 */
import { graphFingerprint } from "../graph/fingerprint.js";
import { GraphBuilder } from "../graph/graph-builder.js";
import { sessionMessages } from "./messages.js";
import { createParameterScope } from "../nn/graph-parameter-scope.js";
import type { Model } from "../nn/model.js";
import { bindAsInputs } from "../nn/parameter-bindings.js";
import type { ParameterSpec } from "../nn/parameter-scope.js";
import { declareInputs } from "./step-graph.js";

export interface ModelDiscovery {
  readonly parameters: readonly ParameterSpec[];
  /** graphFingerprint() of the loss graph's nodes (training mode, parameters as inputs). */
  readonly fingerprint: string;
}

const discovered = new WeakMap<object, Map<number, ModelDiscovery>>();

export function discoverModel<B>(model: Model<B>, batchSize: number): ModelDiscovery {
  let byBatch = discovered.get(model);
  const known = byBatch?.get(batchSize);
  if (known !== undefined) return known;
  const g = new GraphBuilder("discover");
  const bound = createParameterScope(g, bindAsInputs(), { training: true });
  model.loss(bound.scope, declareInputs(g, model.inputs(batchSize)));
  const parameters = [...bound.specs()];
  if (parameters.length === 0) throw new Error(sessionMessages.noParameters());
  const result: ModelDiscovery = { parameters, fingerprint: graphFingerprint(g.nodes) };
  if (byBatch === undefined) {
    byBatch = new Map();
    discovered.set(model, byBatch);
  }
  byBatch.set(batchSize, result);
  return result;
}

/** The fingerprint of the model's loss graph at this batch size. */
export function modelFingerprint<B>(model: Model<B>, batchSize: number): string {
  return discoverModel(model, batchSize).fingerprint;
}

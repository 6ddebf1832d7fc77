/**
 * Exports a trained model as a standalone inference ONNX file: one of the model's graphs (default
 * "predict") built with `training = false` and every parameter baked in as an initializer. No
 * optimizer state, no training inputs; plain onnxruntime (or any ONNX runtime with opset 21) runs it.
 *
 * The file is written atomically (temp file beside it → write → fsync → rename → fsync the
 * directory): a reader sees the previous file or the new one, never a partial one.
 */
import { writeFileAtomically } from "../checkpoint/atomic-file.js";
import { NbresumeError } from "../errors.js";
import { EngineErrorCode, engineMessages } from "./messages.js";
import type { TensorGroup } from "../tensor.js";
import { GraphBuilder } from "./graph/graph-builder.js";
import { serializeGraph } from "./graph/serialize.js";
import { createParameterScope } from "./nn/graph-parameter-scope.js";
import type { Model } from "./nn/model.js";
import { bindAsInitializers } from "./nn/parameter-bindings.js";
import { sessionMessages } from "./session/messages.js";
import { declareInputs } from "./session/step-graph.js";

export interface ExportOptions {
  /** Which of `model.graphs` to export (default "predict"). */
  readonly graph?: string;
  /** The exported graph's batch size (shapes are static). */
  readonly batchSize: number;
  /** Stored in the model's doc_string. */
  readonly description?: string;
}

export interface ExportedModel {
  readonly bytes: Uint8Array;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** Builds the inference ONNX model in memory. */
export function buildInferenceModel<B>(model: Model<B>, parameters: TensorGroup, options: ExportOptions): ExportedModel {
  const name = options.graph ?? "predict";
  const def = model.graphs?.[name];
  if (def === undefined) throw new RangeError(sessionMessages.unknownGraph(name, Object.keys(model.graphs ?? {})));
  if (!Number.isSafeInteger(options.batchSize) || options.batchSize <= 0) {
    throw new RangeError(engineMessages.badExportBatchSize(options.batchSize));
  }
  const g = new GraphBuilder(name);
  const inputs = declareInputs(g, def.inputs(options.batchSize));
  const bound = createParameterScope(g, bindAsInitializers(parameters), { training: false });
  const outputs = def.build(bound.scope, inputs);
  for (const [out, v] of Object.entries(outputs)) g.output(v, out);
  const used = new Set(bound.specs().map((s) => s.name));
  const unused = Object.keys(parameters).filter((p) => !used.has(p));
  const docString = options.description ?? `nbresume export of graph '${name}'${unused.length > 0 ? ` (parameters not used by it: ${unused.length})` : ""}`;
  return { bytes: serializeGraph(g, { docString }), inputs: Object.keys(inputs), outputs: Object.keys(outputs) };
}

/** Builds the inference model and writes it to `path` atomically. */
export async function exportOnnx<B>(model: Model<B>, parameters: TensorGroup, path: string, options: ExportOptions): Promise<ExportedModel> {
  const exported = buildInferenceModel(model, parameters, options);
  try {
    await writeFileAtomically(path, exported.bytes);
  } catch (cause) {
    throw new NbresumeError(EngineErrorCode.EXPORT_WRITE_FAILED, engineMessages.exportWriteFailed(path, (cause as Error).message), { where: path, cause });
  }
  return exported;
}

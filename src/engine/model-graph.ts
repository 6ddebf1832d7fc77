/**
 * One of a model's graphs as a self-contained ONNX file without weights: the parameters are graph
 * inputs named as in model.safetensors, the model's own inputs keep their names. Together with a
 * checkpoint's weights (bakeParameters) it is the trained model, runnable by plain onnxruntime
 * with no nbresume code: a run stores these beside its checkpoints, so export, previews and the
 * sampler thread work for a model defined in a notebook cell after the cell's code is gone.
 */
import { createHash } from "node:crypto";
import { engineMessages } from "./messages.js";
import type { DType } from "../tensor.js";
import { GraphBuilder } from "./graph/graph-builder.js";
import { serializeGraph } from "./graph/serialize.js";
import { createParameterScope } from "./nn/graph-parameter-scope.js";
import type { Model } from "./nn/model.js";
import { bindAsInputs } from "./nn/parameter-bindings.js";
import { sessionMessages } from "./session/messages.js";
import { declareInputs } from "./session/step-graph.js";

export interface TensorSpecJson {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** What a run records of a stored graph (plain JSON, in state.json). */
export interface ModelGraphRecord {
  /** The model's graph name ("predict", "sample", "next", …). */
  readonly graph: string;
  readonly batchSize: number;
  /** SHA-256 of the file's bytes, hex: the file's name and its check. */
  readonly sha256: string;
  readonly bytes: number;
  readonly inputs: Readonly<Record<string, TensorSpecJson>>;
  readonly outputs: Readonly<Record<string, TensorSpecJson>>;
  /** The parameters the graph reads, as inputs of the same names; baked in from model.safetensors. */
  readonly parameters: readonly string[];
}

export interface BuiltModelGraph {
  readonly bytes: Uint8Array;
  readonly record: ModelGraphRecord;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** `model.graphs[name]` at `batchSize`, built with `training = false`, parameters as inputs. */
export function buildModelGraph<B>(model: Model<B>, name: string, batchSize: number): BuiltModelGraph {
  const def = model.graphs?.[name];
  if (def === undefined) throw new RangeError(sessionMessages.unknownGraph(name, Object.keys(model.graphs ?? {})));
  if (!Number.isSafeInteger(batchSize) || batchSize <= 0) throw new RangeError(engineMessages.badGraphBatchSize(batchSize));
  const g = new GraphBuilder(name);
  const specs = def.inputs(batchSize);
  const inputs = declareInputs(g, specs);
  const bound = createParameterScope(g, bindAsInputs(), { training: false });
  const outputs = def.build(bound.scope, inputs);
  const outputSpecs: Record<string, TensorSpecJson> = {};
  for (const [out, v] of Object.entries(outputs)) {
    g.output(v, out);
    outputSpecs[out] = { dtype: v.dtype, shape: [...v.shape] };
  }
  const bytes = serializeGraph(g, {
    docString: `nbresume model graph '${name}' (batch ${batchSize}); parameters are inputs: bake a checkpoint's weights in to run it`,
  });
  return {
    bytes,
    record: {
      graph: name,
      batchSize,
      sha256: sha256Hex(bytes),
      bytes: bytes.byteLength,
      // Random inputs (scope.random) too: whoever runs the graph feeds them.
      inputs: Object.fromEntries([
        ...Object.entries(specs).map(([k, s]) => [k, { dtype: s.dtype, shape: [...s.shape] }] as const),
        ...bound.randoms().map((r) => [r.name, { dtype: "float32" as const, shape: [...r.shape] }] as const),
      ]),
      outputs: outputSpecs,
      parameters: bound.specs().map((s) => s.name),
    },
  };
}

/** Runs a layer forward once on onnxruntime, its parameters initialised from a seeded generator (and adjusted on demand). */
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { serializeGraph } from "../../../src/engine/graph/serialize.js";
import { createParameterScope } from "../../../src/engine/nn/graph-parameter-scope.js";
import { initialParameters } from "../../../src/engine/nn/initial-parameters.js";
import { bindAsInputs } from "../../../src/engine/nn/parameter-bindings.js";
import { createGenerator } from "../../../src/engine/random/index.js";
import { compileGraph } from "../../../src/engine/runtime/ort-runtime.js";
import type { Tensor } from "../../../src/tensor.js";
import { type LayerCheck, layerParameters } from "./layer-gradients.js";

export interface LayerRun {
  readonly output: Float32Array;
  readonly shape: readonly number[];
  /** The parameter values used, by name. */
  readonly parameters: Readonly<Record<string, Float32Array>>;
}

/**
 * Runs `layer` forward once on onnxruntime with the given data inputs, its parameters initialised
 * from a seeded generator (plus `adjust` applied to them, e.g. to set γ and β).
 */
export async function runLayer(
  inputs: readonly { readonly name: string; readonly tensor: Tensor }[],
  layer: LayerCheck["layer"],
  options: { readonly seed?: number; readonly adjust?: (params: Record<string, Float32Array>) => void } = {},
): Promise<LayerRun> {
  const checked = inputs.map((i) => ({ name: i.name, shape: i.tensor.shape, dtype: i.tensor.dtype }));
  const specs = layerParameters(checked, layer);
  const initial = initialParameters(specs, createGenerator(options.seed ?? 7));
  const params: Record<string, Float32Array> = Object.fromEntries(specs.map((s) => [s.name, initial[s.name]!.data as Float32Array]));
  options.adjust?.(params);
  const g = new GraphBuilder("run");
  const values = inputs.map((i) => g.input(i.name, i.tensor.dtype, i.tensor.shape));
  const bound = createParameterScope(g, bindAsInputs("p:"), { training: false });
  const y = layer(bound.scope, values);
  g.output(y, "y");
  const compiled = await compileGraph(serializeGraph(g), { threads: 1 });
  try {
    const feeds: Record<string, Tensor> = Object.fromEntries(inputs.map((i) => [i.name, i.tensor]));
    for (const s of specs) feeds[`p:${s.name}`] = { dtype: "float32", shape: s.shape, data: params[s.name]! };
    const out = (await compiled.run(feeds))["y"]!;
    return { output: out.data as Float32Array, shape: out.shape, parameters: params };
  } finally {
    await compiled.release();
  }
}

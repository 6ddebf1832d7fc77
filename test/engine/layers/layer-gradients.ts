/**
 * Gradient checks of layers built from a ParameterScope: the layer's parameters (discovered by
 * building it once on a scratch graph) become inputs of the finite-difference check, with their
 * real initial values (from a seeded generator) plus a little noise where the initialiser is a
 * constant, so γ ≠ 1, β ≠ 0 and zero-initialised convs are exercised.
 */
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import type { Value } from "../../../src/engine/graph/value.js";
import { createParameterScope } from "../../../src/engine/nn/graph-parameter-scope.js";
import { initialParameters } from "../../../src/engine/nn/initial-parameters.js";
import { bindAsInputs } from "../../../src/engine/nn/parameter-bindings.js";
import type { ParameterScope, ParameterSpec } from "../../../src/engine/nn/parameter-scope.js";
import { createGenerator } from "../../../src/engine/random/index.js";
import { checkGradients, type CheckedInput, type GradientCheck, type GradientCheckResult } from "../../support/gradient-check.js";

export interface LayerCheck extends Omit<GradientCheck, "inputs" | "build"> {
  /** The layer's non-parameter inputs (images, ids, timesteps...). */
  readonly inputs: readonly CheckedInput[];
  /** Builds the layer under test from `scope` over the data inputs; returns the output to check. */
  readonly layer: (scope: ParameterScope, inputs: Value[]) => Value;
}

/** The parameters `layer` declares, in declaration order. */
export function layerParameters(inputs: readonly CheckedInput[], layer: LayerCheck["layer"]): ParameterSpec[] {
  const g = new GraphBuilder("discover");
  const values = inputs.map((i) => g.input(i.name, i.dtype ?? "float32", i.shape));
  const bound = createParameterScope(g, bindAsInputs(), { training: true });
  layer(bound.scope, values);
  return [...bound.specs()];
}

export async function checkLayerGradients(check: LayerCheck): Promise<GradientCheckResult & { parameters: readonly ParameterSpec[] }> {
  const specs = layerParameters(check.inputs, check.layer);
  const rng = createGenerator(check.seed ?? 7);
  const initial = initialParameters(specs, rng);
  const paramInputs: CheckedInput[] = specs.map((spec) => {
    const data = Float32Array.from(initial[spec.name]!.data as Float32Array);
    if (spec.init.kind === "zeros" || spec.init.kind === "ones") {
      // Vectors (biases, norm gains) get noise of 0.3; zero-initialised weights get what a default
      // initialiser would give them (std 0.5/√fanIn), so activations keep their usual scale.
      const std = spec.shape.length >= 2 ? 0.5 / Math.sqrt(spec.shape.slice(1).reduce((a, b) => a * b, 1)) : 0.3;
      const noise = rng.fillNormal(new Float32Array(data.length), 0, std);
      for (let i = 0; i < data.length; i++) data[i]! += noise[i]!;
    }
    return { name: spec.name, shape: spec.shape, dtype: "float32", data };
  });
  const dataCount = check.inputs.length;
  const result = await checkGradients({
    ...check,
    dtype: check.dtype ?? "float32",
    inputs: [...check.inputs, ...paramInputs],
    build: (g, values) => {
      const byName = new Map(specs.map((s, i) => [s.name, values[dataCount + i]!]));
      const bound = createParameterScope(g, (spec) => byName.get(spec.name)!, { training: true });
      return check.layer(bound.scope, values.slice(0, dataCount));
    },
  });
  return { ...result, parameters: specs };
}

/**
 * Draws a model's initial parameters from the run's generator, in declaration order, so the same seed
 * and model code always give the same weights.
 */
import { tensor, type Tensor, type TensorGroup } from "../../tensor.js";
import { product } from "../graph/shape.js";
import type { ParameterSpec } from "./parameter-scope.js";
import type { Generator } from "../random/generator.js";

export function initialParameters(specs: readonly ParameterSpec[], rng: Generator): TensorGroup {
  const out: Record<string, Tensor> = {};
  for (const spec of specs) {
    const data = new Float32Array(product(spec.shape));
    spec.init.fill(data, spec.shape, rng);
    out[spec.name] = tensor("float32", spec.shape, data);
  }
  return out;
}

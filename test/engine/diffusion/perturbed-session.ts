/**
 * Test support: the UNet starts with its blocks' last convs and its output conv at zero (so an
 * untrained model predicts ε̂ = 0). Tests of the graphs' arithmetic need a model whose output depends
 * on its inputs, so this loads parameters where every all-zero tensor is replaced by small noise.
 */
import { createGenerator } from "../../../src/engine/random/index.js";
import type { TrainingSession } from "../../../src/engine/session/training-session.js";
import type { Tensor } from "../../../src/tensor.js";

export function perturbZeroParameters<B>(session: TrainingSession<B>, seed: number, std = 0.05): void {
  const dict = session.stateDict();
  const rng = createGenerator(seed);
  const model: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(dict.tensors.model)) {
    const data = Float32Array.from(t.data as Float32Array);
    if (data.every((v) => v === 0)) rng.fillNormal(data, 0, std);
    model[name] = { dtype: "float32", shape: t.shape, data };
  }
  session.loadStateDict({ ...dict, tensors: { model, optimizer: dict.tensors.optimizer } });
}

/** Tensors whose values are a function of a seed, so a loaded checkpoint can be checked against them. */
import type { Tensor, TensorGroup } from "../../src/tensor.js";

/** A float32 tensor whose values are a function of `seed`, so a loaded one can be checked. */
export function patterned(seed: number, shape: readonly number[]): Tensor<"float32"> {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = seed + (i % 1024) / 1024;
  return { dtype: "float32", shape: [...shape], data };
}

export function smallGroups(seed: number): Record<string, TensorGroup> {
  return {
    model: { w: patterned(seed, [64, 32]), b: patterned(seed + 0.5, [32]) },
    optimizer: { "m.w": patterned(seed * 2, [64, 32]), "v.w": patterned(seed * 3, [64, 32]) },
  };
}

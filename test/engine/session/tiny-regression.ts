/** Test support: a linear regression model (MSE loss) small enough to check by hand. */
import { meanAll, square, sub } from "../../../src/engine/graph/functional.js";
import { linear } from "../../../src/engine/layers/linear.js";
import type { Model } from "../../../src/engine/nn/model.js";
import type { Tensor } from "../../../src/tensor.js";

export interface RegressionBatch {
  readonly x: Float32Array;
  readonly y: Float32Array;
}

export function linearRegression(inputs: number, outputs: number, batch: number): Model<RegressionBatch> {
  return {
    config: { kind: "linear-regression", inputs, outputs },
    inputs: (n) => ({ x: { dtype: "float32", shape: [n, inputs] }, y: { dtype: "float32", shape: [n, outputs] } }),
    loss(scope, io) {
      const pred = linear(scope.child("fc"), io["x"]!, outputs);
      const err = sub(pred, io["y"]!);
      return { loss: meanAll(square(err)), metrics: { mean_prediction: meanAll(pred) } };
    },
    feeds: (b): Record<string, Tensor> => ({
      x: { dtype: "float32", shape: [batch, inputs], data: b.x },
      y: { dtype: "float32", shape: [batch, outputs], data: b.y },
    }),
    graphs: {
      predict: {
        inputs: (n) => ({ x: { dtype: "float32", shape: [n, inputs] } }),
        build: (scope, io) => ({ y: linear(scope.child("fc"), io["x"]!, outputs) }),
      },
    },
  };
}

export function randomBatch(inputs: number, outputs: number, batch: number, seed: number): RegressionBatch {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  return { x: Float32Array.from({ length: batch * inputs }, next), y: Float32Array.from({ length: batch * outputs }, next) };
}

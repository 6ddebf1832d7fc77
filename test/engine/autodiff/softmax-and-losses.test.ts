import { strict as assert } from "node:assert";
import { add, logSoftmax, mseLoss, mul, softmax } from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { serializeGraph } from "../../../src/engine/graph/serialize.js";
import { compileGraph } from "../../../src/engine/runtime/ort-runtime.js";
import { tensor } from "../../../src/tensor.js";
import type { Attributes, Value } from "../../../src/engine/graph/value.js";
import { checkGradients } from "../../support/gradient-check.js";

const labels = (...ids: number[]): BigInt64Array => BigInt64Array.from(ids, BigInt);

/** SoftmaxCrossEntropyLoss's outputs: [loss, log_prob]. */
function sce(g: GraphBuilder, inputs: (Value | undefined)[], attributes: Attributes): Value[] {
  return g.opMulti("SoftmaxCrossEntropyLoss", inputs, attributes);
}

describe("autodiff: softmax family and losses (central differences, float64, rtol 1e-6)", () => {
  it("Softmax along every axis, including negative ones", async () => {
    for (const axis of [0, 1, 2, -1]) {
      await checkGradients({ inputs: [{ name: "x", shape: [2, 3, 4] }], build: (_g, [x]) => softmax(x!, axis) });
    }
  });

  it("LogSoftmax along every axis", async () => {
    for (const axis of [0, 1, -1]) {
      await checkGradients({ inputs: [{ name: "x", shape: [2, 3, 4] }], build: (_g, [x]) => logSoftmax(x!, axis) });
    }
  });

  it("SoftmaxCrossEntropyLoss with reduction mean, sum and none (int64 labels, N×C)", async () => {
    for (const reduction of ["mean", "sum", "none"]) {
      await checkGradients({
        inputs: [
          { name: "scores", shape: [5, 4] },
          { name: "labels", shape: [5], dtype: "int64", data: labels(0, 3, 1, 1, 2) },
        ],
        build: (g, [s, l]) => sce(g, [s!, l!], { reduction })[0]!,
      });
    }
  });

  it("SoftmaxCrossEntropyLoss on N×C×d scores (mean and none) and with int32 labels", async () => {
    for (const reduction of ["mean", "none"]) {
      await checkGradients({
        inputs: [
          { name: "scores", shape: [2, 3, 4] },
          { name: "labels", shape: [2, 4], dtype: "int64", data: labels(0, 1, 2, 2, 1, 1, 0, 2) },
        ],
        build: (g, [s, l]) => sce(g, [s!, l!], { reduction })[0]!,
      });
    }
    await checkGradients({
      inputs: [
        { name: "scores", shape: [3, 4] },
        { name: "labels", shape: [3], dtype: "int32", data: Int32Array.from([3, 0, 2]) },
      ],
      build: (g, [s, l]) => sce(g, [s!, l!], {})[0]!,
    });
  });

  it("SoftmaxCrossEntropyLoss with class weights (mean divides by the labels' total weight)", async () => {
    for (const reduction of ["mean", "sum", "none"]) {
      await checkGradients({
        inputs: [
          { name: "scores", shape: [5, 3] },
          { name: "labels", shape: [5], dtype: "int64", data: labels(0, 2, 1, 2, 2) },
          { name: "weights", shape: [3], data: Float64Array.from([0.5, 2, 1.25]), differentiable: false },
        ],
        build: (g, [s, l, w]) => sce(g, [s!, l!, w!], { reduction })[0]!,
      });
    }
  });

  it("SoftmaxCrossEntropyLoss with ignore_index out of range and in range, with and without weights", async () => {
    await checkGradients({
      inputs: [
        { name: "scores", shape: [5, 3] },
        { name: "labels", shape: [5], dtype: "int64", data: labels(0, -100, 1, 2, -100) },
      ],
      build: (g, [s, l]) => sce(g, [s!, l!], { ignore_index: -100 })[0]!,
    });
    for (const reduction of ["mean", "none"]) {
      await checkGradients({
        inputs: [
          { name: "scores", shape: [2, 3, 2] },
          { name: "labels", shape: [2, 2], dtype: "int64", data: labels(1, 0, 2, 1) },
          { name: "weights", shape: [3], data: Float64Array.from([0.5, 2, 1.25]), differentiable: false },
        ],
        build: (g, [s, l, w]) => sce(g, [s!, l!, w!], { reduction, ignore_index: 1 })[0]!,
      });
    }
  });

  it("SoftmaxCrossEntropyLoss when its log_prob output also reaches the loss", async () => {
    await checkGradients({
      inputs: [
        { name: "scores", shape: [4, 3] },
        { name: "labels", shape: [4], dtype: "int64", data: labels(2, 0, 1, 0) },
      ],
      build: (g, [s, l]) => {
        const [loss, logProb] = sce(g, [s!, l!], { reduction: "none" });
        return add(mul(logProb!, logProb!), g.op("Unsqueeze", [loss!, g.int64s([1])]));
      },
    });
    await checkGradients({
      inputs: [
        { name: "scores", shape: [4, 3] },
        { name: "labels", shape: [4], dtype: "int64", data: labels(2, 0, 1, 0) },
      ],
      build: (g, [s, l]) => sce(g, [s!, l!], {})[1]!,
    });
  });

  it("mseLoss is the mean of the squared differences", async () => {
    const g = new GraphBuilder();
    g.output(mseLoss(g.input("p", "float64", [2, 2]), g.input("t", "float64", [2])), "loss");
    const compiled = await compileGraph(serializeGraph(g), { threads: 1 });
    try {
      const r = await compiled.run({ p: tensor("float64", [2, 2], Float64Array.from([1, 2, 3, 4])), t: tensor("float64", [2], Float64Array.from([0, 4])) });
      assert.equal(r["loss"]!.data[0], (1 + 4 + 9 + 0) / 4);
    } finally {
      await compiled.release();
    }
  });

  it("mseLoss w.r.t. prediction and target, also with a broadcasting target", async () => {
    await checkGradients({
      inputs: [
        { name: "pred", shape: [4, 3] },
        { name: "target", shape: [4, 3] },
      ],
      build: (_g, [p, t]) => mseLoss(p!, t!),
    });
    await checkGradients({
      inputs: [
        { name: "pred", shape: [4, 3] },
        { name: "target", shape: [3] },
      ],
      build: (_g, [p, t]) => mseLoss(p!, t!),
    });
  });
});

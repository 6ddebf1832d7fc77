import { strict as assert } from "node:assert";
import { registeredGradients } from "../../../src/engine/autodiff/gradient-registry.js";
import { gradients } from "../../../src/engine/autodiff/gradients.js";
import { mseLoss, mul, silu, sumAll, where, greater } from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { tensor } from "../../../src/tensor.js";
import { checkGradients } from "../../support/gradient-check.js";

/** Every op the autodiff differentiates, by family: a gradient dropped from the registry fails here. */
const DIFFERENTIABLE_OPS = {
  arithmetic: ["Add", "Sub", "Mul", "Div", "Neg", "Sum", "Max", "Min", "Pow", "Sqrt", "Exp", "Log", "Abs", "Reciprocal", "Where", "Identity", "Cast"],
  matmul: ["MatMul", "Gemm"],
  reductions: ["ReduceSum", "ReduceMean", "ReduceMax"],
  activations: [
    "Relu",
    "LeakyRelu",
    "Sigmoid",
    "Tanh",
    "Gelu",
    "Erf",
    "Dropout",
    "Softplus",
    "Softsign",
    "Elu",
    "Selu",
    "Celu",
    "HardSigmoid",
    "HardSwish",
    "Mish",
    "ThresholdedRelu",
    "PRelu",
    "Clip",
  ],
  trigonometric: ["Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh"],
  piecewiseConstant: ["Round", "Floor", "Ceil", "Sign"],
  softmaxAndLosses: ["Softmax", "LogSoftmax", "SoftmaxCrossEntropyLoss"],
  shape: ["Reshape", "Flatten", "Transpose", "Concat", "Split", "Slice", "Squeeze", "Unsqueeze", "Expand", "Tile", "Gather", "Pad"],
  convolutionAndPooling: ["Conv", "ConvTranspose", "AveragePool", "MaxPool", "GlobalAveragePool", "Resize"],
  normalization: ["LayerNormalization", "GroupNormalization", "InstanceNormalization"],
} as const;

describe("autodiff: registry coverage and constants", () => {
  it("registers a gradient for every op of every family", () => {
    const registered = new Set(registeredGradients());
    const missing = Object.values(DIFFERENTIABLE_OPS)
      .flat()
      .filter((op) => !registered.has(op));
    assert.deepEqual(missing, [], `no gradient registered for: ${missing.join(", ")}`);
  });

  it("builds SiLU and mseLoss only from ops that have gradients", () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float32", [2, 3]);
    silu(x);
    mseLoss(x, g.input("t", "float32", [2, 3]));
    const registered = new Set(registeredGradients());
    const ops = [...new Set(g.nodes.map((n) => n.opType))];
    assert.ok(ops.length >= 4, `expected the composites' nodes, got ${ops.join(", ")}`);
    assert.deepEqual(
      ops.filter((op) => !registered.has(op)),
      [],
    );
  });

  it("never differentiates an op fed only by constants, even one without a gradient", async () => {
    // Mean has a schema but no gradient: reaching it would throw.
    assert.ok(!registeredGradients().includes("Mean"));
    await checkGradients({
      dtype: "float32", // onnxruntime has no float64 Mean
      inputs: [{ name: "x", shape: [3] }],
      build: (g, [x]) => {
        const c = g.constant(tensor("float32", [3], Float32Array.from([0.1, 1, 2])));
        return mul(x!, g.op("Mean", [c, c]));
      },
    });
  });

  it("builds no gradient for a constant operand", () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float32", [3]);
    const c = g.constant(tensor("float32", [1], Float32Array.from([2])));
    const loss = sumAll(mul(x, c));
    const reduces = (): number => g.nodes.filter((n) => n.opType === "ReduceSum").length;
    const before = reduces();
    gradients(loss, [x]);
    // c broadcasts from [1] to [3]: its gradient would need a ReduceSum; x's does not.
    assert.equal(reduces(), before);
  });

  it("differentiates through constant branches, exponents and labels without asking them for gradients", async () => {
    await checkGradients({
      inputs: [{ name: "x", shape: [2, 3] }],
      build: (g, [x]) => {
        const picked = where(greater(x!, g.scalar(0, "float64")), x!, g.scalar(-1, "float64"));
        const [loss] = g.opMulti("SoftmaxCrossEntropyLoss", [g.op("Pow", [picked, g.scalar(3, "float64")]), g.int64s([2, 0])], { reduction: "sum" });
        return loss!;
      },
    });
  });
});

import { strict as assert } from "node:assert";
import { registeredGradients } from "../../../src/engine/autodiff/gradient-registry.js";
import { gradients } from "../../../src/engine/autodiff/gradients.js";
import { mseLoss, mul, silu, sumAll, where, greater } from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { tensor } from "../../../src/tensor.js";
import { checkGradients } from "../../support/gradient-check.js";

/** Every op issue 3 names that is not part B's (convolution, pooling, resizing, normalisation, Gemm). */
const PART_A_OPS = [
  "Pow", "Sqrt", "Exp", "Log", "Abs", "Reciprocal", "Erf", "LeakyRelu", "Sigmoid", "Tanh", "Gelu",
  "Softmax", "LogSoftmax", "SoftmaxCrossEntropyLoss", "Max", "Min", "Where", "Cast", "Flatten",
  "Transpose", "Concat", "Split", "Slice", "Squeeze", "Unsqueeze", "Expand", "Tile", "Gather", "Dropout",
  "ReduceMax",
  // Done with the autodiff core, listed so the whole of the list outside part B is here.
  "Add", "Sub", "Mul", "Div", "Neg", "MatMul", "Relu", "Reshape", "ReduceSum", "ReduceMean", "Identity", "Sum",
];

describe("autodiff part A: gradient registry coverage and constants", () => {
  it("registers a gradient for every part A op the issue names", () => {
    const registered = new Set(registeredGradients());
    const missing = PART_A_OPS.filter((op) => !registered.has(op));
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
    assert.deepEqual(ops.filter((op) => !registered.has(op)), []);
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

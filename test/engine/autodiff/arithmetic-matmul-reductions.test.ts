import { strict as assert } from "node:assert";
import { registeredGradients } from "../../../src/engine/autodiff/gradient-registry.js";
import { autodiffMessages } from "../../../src/engine/autodiff/messages.js";
import { gradients } from "../../../src/engine/autodiff/gradients.js";
import { add, div, matmul, mul, neg, reduceMean, reduceSum, relu, reshape, sub, sumAll } from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { checkGradients } from "../../support/gradient-check.js";

describe("autodiff: arithmetic, MatMul, reductions (central differences, float64, rtol 1e-6)", () => {
  it("Add, Sub, Mul, Div with broadcasting of both operands", async () => {
    await checkGradients({
      inputs: [
        { name: "a", shape: [2, 1, 4] },
        { name: "b", shape: [3, 1] },
        { name: "c", shape: [4] },
      ],
      build: (_g, [a, b, c]) => div(mul(sub(add(a!, b!), c!), neg(b!)), add(mul(c!, c!), a!.graph.scalar(1, "float64"))),
    });
  });

  it("MatMul for 2-D, 1-D and batched broadcasting operands", async () => {
    await checkGradients({
      inputs: [
        { name: "a", shape: [3, 4] },
        { name: "b", shape: [4, 2] },
      ],
      build: (_g, [a, b]) => matmul(a!, b!),
    });
    await checkGradients({
      inputs: [
        { name: "v", shape: [4] },
        { name: "b", shape: [2, 4, 3] },
      ],
      build: (_g, [v, b]) => matmul(v!, b!),
    });
    await checkGradients({
      inputs: [
        { name: "a", shape: [2, 1, 3, 4] },
        { name: "b", shape: [5, 4, 2] },
      ],
      build: (_g, [a, b]) => matmul(a!, b!),
    });
    await checkGradients({
      inputs: [
        { name: "a", shape: [3, 4] },
        { name: "v", shape: [4] },
      ],
      build: (_g, [a, v]) => matmul(a!, v!),
    });
  });

  it("Relu, ReduceSum, ReduceMean (keepdims on and off) and Reshape", async () => {
    await checkGradients({
      inputs: [{ name: "x", shape: [2, 3, 4] }],
      build: (_g, [x]) => reshape(add(reduceSum(relu(x!), [1], true), reduceMean(x!, [1], true)), [8]),
    });
    await checkGradients({
      inputs: [{ name: "x", shape: [2, 3, 4] }],
      build: (_g, [x]) => mul(reduceMean(x!, [0, 2], false), reduceSum(x!, [0, 2], false)),
    });
  });

  it("accumulates gradients of a value used many times", async () => {
    await checkGradients({
      inputs: [{ name: "x", shape: [3] }],
      build: (_g, [x]) => mul(mul(x!, x!), add(x!, x!)),
    });
  });

  it("returns zeros for a requested value the loss does not depend on", () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float32", [2]);
    const unused = g.input("u", "float32", [3]);
    const [, du] = gradients(sumAll(x), [x, unused]);
    assert.deepEqual(du!.shape, [3]);
  });

  it("names the op when a gradient is missing, and says how to register one", () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float32", [2]);
    // Mean has a schema (the builder knows it) but no gradient.
    assert.ok(!registeredGradients().includes("Mean"));
    const y = g.op("Mean", [x, x]);
    assert.throws(() => gradients(sumAll(y), [x]), { message: autodiffMessages.noGradient("Mean") });
    assert.match(autodiffMessages.noGradient("Mean"), /registerGradient/);
  });
});

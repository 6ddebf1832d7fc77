import { strict as assert } from "node:assert";
import { gradients } from "../../../src/engine/autodiff/gradients.js";
import { autodiffMessages } from "../../../src/engine/autodiff/messages.js";
import { gemm, sumAll } from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import type { Value } from "../../../src/engine/graph/value.js";
import { checkGradients } from "../../support/gradient-check.js";

const ALL = { samples: 1e9 } as const;

describe("autodiff: Gemm (float64 central differences, rtol 1e-6, all elements)", () => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      it(`transA=${Number(transA)}, transB=${Number(transB)} with alpha 0.7, beta 1.3 and every broadcast form of C`, async () => {
        const [m, k, n] = [3, 4, 2];
        for (const cShape of [[n], [m, 1], [], [1, n], [m, n]]) {
          await checkGradients({
            ...ALL,
            inputs: [
              { name: "a", shape: transA ? [k, m] : [m, k] },
              { name: "b", shape: transB ? [n, k] : [k, n] },
              { name: "c", shape: cShape },
            ],
            build: (_g, [a, b, c]) => gemm(a!, b!, c, { alpha: 0.7, beta: 1.3, transA, transB }),
          });
        }
      });
    }
  }

  it("without C and at the default alpha", async () => {
    await checkGradients({
      ...ALL,
      inputs: [
        { name: "a", shape: [2, 5] },
        { name: "b", shape: [3, 5] },
      ],
      build: (_g, [a, b]) => gemm(a!, b!, undefined, { transB: true }),
    });
  });
});

function padOp(x: Value, pads: readonly number[], fill?: Value, axes?: readonly number[], mode?: string): Value {
  const g = x.graph;
  return g.op("Pad", [x, g.int64s(pads), fill, axes === undefined ? undefined : g.int64s(axes)], mode === undefined ? {} : { mode });
}

describe("autodiff: Pad, constant mode (float64 central differences, rtol 1e-6, all elements)", () => {
  it("pads every axis and differentiates the fill value", async () => {
    await checkGradients({
      ...ALL,
      inputs: [
        { name: "x", shape: [2, 3, 4] },
        { name: "fill", shape: [] },
      ],
      build: (_g, [x, fill]) => padOp(x!, [1, 0, 2, 0, 1, 3], fill),
    });
  });

  it("crops with negative pads while padding elsewhere", async () => {
    await checkGradients({
      ...ALL,
      inputs: [
        { name: "x", shape: [3, 5] },
        { name: "fill", shape: [] },
      ],
      build: (_g, [x, fill]) => padOp(x!, [-1, 2, 1, -2], fill),
    });
  });

  it("pads only the axes given, zero fill", async () => {
    await checkGradients({
      ...ALL,
      inputs: [{ name: "x", shape: [2, 3, 4] }],
      build: (_g, [x]) => padOp(x!, [1, 2], undefined, [-1]),
    });
  });

  it("throws naming the node for reflect padding", () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float64", [2, 4]);
    const y = padOp(x, [0, 1, 0, 1], undefined, undefined, "reflect");
    assert.throws(() => gradients(sumAll(y), [x]), {
      message: autodiffMessages.unsupportedGradient("Pad", y.producer!.id, "mode 'reflect'", "Only constant-mode padding is differentiable here."),
    });
  });
});

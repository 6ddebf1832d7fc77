import { strict as assert } from "node:assert";
import { groupNormComposite } from "../../../src/engine/autodiff/composites/group-norm.js";
import { siluComposite } from "../../../src/engine/autodiff/composites/silu.js";
import { groupNorm } from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { serializeGraph } from "../../../src/engine/graph/serialize.js";
import { compileGraph } from "../../../src/engine/runtime/ort-runtime.js";
import { checkGradients, testRandom } from "../../support/gradient-check.js";

/** Every element of every input, at the default float64 bound |a − n| ≤ 1e-8 + 1e-6·max(|a|, |n|). */
const F64 = { samples: 1e9 } as const;

describe("autodiff composites: GroupNorm (float64 central differences, rtol 1e-6, all elements)", () => {
  it("3 groups of 2 channels over 2-D maps, for x, γ and β", async () => {
    await checkGradients({
      ...F64,
      inputs: [
        { name: "x", shape: [2, 6, 3, 4], scale: 3 },
        { name: "gamma", shape: [6] },
        { name: "beta", shape: [6] },
      ],
      build: (_g, [x, gamma, beta]) => groupNormComposite(x!, gamma!, beta!, 3, 1e-5),
    });
  });

  it("one group and a group per channel, 1-D maps and no spatial axes, epsilon 1e-3", async () => {
    for (const [shape, groups] of [
      [[2, 4, 5], 1],
      [[3, 4, 5], 4],
      [[3, 6], 2],
    ] as const) {
      await checkGradients({
        ...F64,
        inputs: [
          { name: "x", shape },
          { name: "gamma", shape: [shape[1]] },
          { name: "beta", shape: [shape[1]] },
        ],
        build: (_g, [x, gamma, beta]) => groupNormComposite(x!, gamma!, beta!, groups, 1e-3),
      });
    }
  });

  it("for x alone when γ and β are constants (no affine), 3-D maps", async () => {
    await checkGradients({
      ...F64,
      inputs: [{ name: "x", shape: [2, 4, 2, 3, 2] }],
      build: (g, [x]) => groupNormComposite(x!, g.scalar(1, "float64", [4]), g.scalar(0, "float64", [4]), 2, 1e-5),
    });
  });

  it("computes what GroupNormalization-21 computes (float64 at stash_type 11, |err| ≤ 1e-12)", async () => {
    const shape = [2, 8, 5, 3];
    const r = testRandom(7);
    const data = Float64Array.from({ length: 240 }, () => 4 + 3 * r.normal());
    const gamma = Float64Array.from({ length: 8 }, () => r.normal());
    const beta = Float64Array.from({ length: 8 }, () => r.normal());
    const g = new GraphBuilder("gn");
    const [x, s, b] = [g.input("x", "float64", shape), g.input("s", "float64", [8]), g.input("b", "float64", [8])];
    g.output(groupNormComposite(x, s, b, 4, 1e-5), "composite");
    g.output(groupNorm(x, s, b, 4, 1e-5), "op");
    const compiled = await compileGraph(serializeGraph(g));
    try {
      const out = await compiled.run({
        x: { dtype: "float64", shape, data },
        s: { dtype: "float64", shape: [8], data: gamma },
        b: { dtype: "float64", shape: [8], data: beta },
      });
      const [c, o] = [out["composite"]!.data as Float64Array, out["op"]!.data as Float64Array];
      for (let i = 0; i < c.length; i++) assert.ok(Math.abs(c[i]! - o[i]!) <= 1e-12, `#${i}: ${c[i]} vs ${o[i]}`);
    } finally {
      await compiled.release();
    }
  });
});

describe("autodiff composites: SiLU", () => {
  it("has the derivative of a·σ(a) (float64 central differences, rtol 1e-6, all elements)", async () => {
    await checkGradients({ ...F64, inputs: [{ name: "a", shape: [3, 7], scale: 4 }], build: (_g, [a]) => siluComposite(a!) });
  });

  it("is the two standard ops a·σ(a), so graphs without a backward keep onnxruntime's fused kernel", () => {
    const g = new GraphBuilder("silu");
    const a = g.input("a", "float32", [2, 3]);
    const y = siluComposite(a);
    assert.equal(y.producer?.opType, "Mul");
    assert.equal(y.producer?.inputs[0], a);
    assert.equal(y.producer?.inputs[1]?.producer?.opType, "Sigmoid");
  });
});

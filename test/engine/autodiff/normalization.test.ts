import { strict as assert } from "node:assert";
import { add, cast, groupNorm, layerNorm, mul } from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { serializeGraph } from "../../../src/engine/graph/serialize.js";
import { compileGraph } from "../../../src/engine/runtime/ort-runtime.js";
import type { Tensor } from "../../../src/tensor.js";
import { checkGradients, testRandom } from "../../support/gradient-check.js";

/**
 * onnxruntime normalises LayerNormalization (and GroupNormalization at its default stash_type) in
 * float32 even for float64 inputs, and InstanceNormalization has only a float32 kernel, so those are
 * checked in float32: step 1e-2, |a − n| ≤ 1e-3 + 1e-2·max(|a|, |n|) (the float32 rounding of the
 * loss over a 2e-2 step is ~1e-4; the truncation error of a normalisation ~1e-5).
 * groupNorm() runs float64 inputs at stash_type 11 (in float64), checked at the default float64 bound.
 * Every element of every input is checked.
 */
const F32 = { dtype: "float32", eps: 1e-2, rtol: 1e-2, atol: 1e-3, samples: 1e9 } as const;
const F64 = { samples: 1e9 } as const;

describe("autodiff: LayerNormalization (float32 central differences, rtol 1e-2, atol 1e-3, all elements)", () => {
  it("over the last axis with scale and bias", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [3, 6] },
        { name: "gamma", shape: [6] },
        { name: "beta", shape: [6] },
      ],
      build: (_g, [x, gamma, beta]) => layerNorm(x!, gamma!, beta),
    });
  });

  it("over the last two axes (axis 1 of a rank-3 input) without bias, with epsilon 1e-3", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [2, 3, 4] },
        { name: "gamma", shape: [3, 4] },
      ],
      build: (_g, [x, gamma]) => layerNorm(x!, gamma!, undefined, { axis: 1, epsilon: 1e-3 }),
    });
  });

  it("with gradients reaching the Mean and InvStdDev outputs too", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [4, 5] },
        { name: "gamma", shape: [5] },
        { name: "beta", shape: [5] },
      ],
      build: (g, [x, gamma, beta]) => {
        const [y, mean, invStd] = g.opMulti("LayerNormalization", [x!, gamma!, beta!], { axis: -1 });
        return add(y!, add(cast(mean!, "float32"), mul(cast(invStd!, "float32"), g.scalar(0.5))));
      },
    });
  });

  it("for a node created without its Mean and InvStdDev outputs (the gradient recomputes them)", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [3, 5] },
        { name: "gamma", shape: [5] },
      ],
      build: (g, [x, gamma]) => g.opMulti("LayerNormalization", [x!, gamma!], { axis: -1 }, 1)[0]!,
    });
  });
});

describe("autodiff: GroupNormalization and InstanceNormalization", () => {
  it("GroupNormalization, 3 groups of 2 channels, float64 (rtol 1e-6)", async () => {
    await checkGradients({
      ...F64,
      inputs: [
        { name: "x", shape: [2, 6, 3, 3] },
        { name: "gamma", shape: [6] },
        { name: "beta", shape: [6] },
      ],
      build: (_g, [x, gamma, beta]) => groupNorm(x!, gamma!, beta!, 3),
    });
  });

  it("GroupNormalization with one group and with a group per channel, 1-D maps, float64 (rtol 1e-6)", async () => {
    for (const groups of [1, 4]) {
      await checkGradients({
        ...F64,
        inputs: [
          { name: "x", shape: [2, 4, 5] },
          { name: "gamma", shape: [4] },
          { name: "beta", shape: [4] },
        ],
        build: (_g, [x, gamma, beta]) => groupNorm(x!, gamma!, beta!, groups, 1e-3),
      });
    }
  });

  it("GroupNormalization in float32 at the default stash_type, as the UNet runs it (rtol 1e-2, atol 1e-3)", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [2, 4, 3, 3] },
        { name: "gamma", shape: [4] },
        { name: "beta", shape: [4] },
      ],
      build: (_g, [x, gamma, beta]) => groupNorm(x!, gamma!, beta!, 2),
    });
  });

  it("InstanceNormalization in float32 (rtol 1e-2, atol 1e-3)", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [2, 3, 3, 4] },
        { name: "gamma", shape: [3] },
        { name: "beta", shape: [3] },
      ],
      build: (g, [x, gamma, beta]) => g.op("InstanceNormalization", [x!, gamma!, beta!], { epsilon: 1e-4 }),
    });
  });
});

describe("groupNorm", () => {
  it("matches a direct computation and onnxruntime's GroupNormalization-21 in float32 and float64", async () => {
    const [n, c, h, w, groups, eps] = [2, 6, 3, 4, 3, 1e-3];
    const rng = testRandom(7);
    const x = Float64Array.from({ length: n * c * h * w }, () => rng.normal() * 3 + 1);
    const gamma = Float64Array.from({ length: c }, () => rng.normal());
    const beta = Float64Array.from({ length: c }, () => rng.normal());
    const per = (c / groups) * h * w;
    const expected = new Float64Array(x.length);
    for (let s = 0; s < n * groups; s++) {
      const group = x.subarray(s * per, (s + 1) * per);
      const mean = group.reduce((a, b) => a + b, 0) / per;
      const variance = group.reduce((a, b) => a + (b - mean) ** 2, 0) / per;
      for (let i = 0; i < per; i++) {
        const ch = (((s % groups) * per + i) / (h * w)) | 0;
        expected[s * per + i] = ((group[i]! - mean) / Math.sqrt(variance + eps)) * gamma[ch]! + beta[ch]!;
      }
    }
    for (const [dtype, tol] of [
      ["float32", 1e-4],
      ["float64", 1e-9],
    ] as const) {
      const g = new GraphBuilder("gn");
      const [xv, gv, bv] = [g.input("x", dtype, [n, c, h, w]), g.input("gamma", dtype, [c]), g.input("beta", dtype, [c])];
      g.output(groupNorm(xv, gv, bv, groups, eps), "built");
      g.output(g.op("GroupNormalization", [xv, gv, bv], { num_groups: groups, epsilon: eps, stash_type: dtype === "float64" ? 11 : 1 }), "op");
      const graph = await compileGraph(serializeGraph(g), { threads: 1 });
      try {
        const as = (a: Float64Array): Float32Array | Float64Array => (dtype === "float32" ? Float32Array.from(a) : a);
        const feeds: Record<string, Tensor> = {
          x: { dtype, shape: [n, c, h, w], data: as(x) },
          gamma: { dtype, shape: [c], data: as(gamma) },
          beta: { dtype, shape: [c], data: as(beta) },
        };
        const out = await graph.run(feeds);
        for (const name of ["built", "op"]) {
          const got = out[name]!.data as Float32Array | Float64Array;
          const worst = expected.reduce((m, e, i) => Math.max(m, Math.abs(e - got[i]!)), 0);
          assert.ok(worst <= tol, `${dtype} ${name}: max error ${worst} > ${tol}`);
        }
      } finally {
        await graph.release();
      }
    }
  });
});

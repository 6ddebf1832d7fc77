import { add, cast, groupNorm, layerNorm, mul } from "../../../src/engine/graph/functional.js";
import { checkGradients } from "../../support/gradient-check.js";

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
      inputs: [{ name: "x", shape: [3, 6] }, { name: "gamma", shape: [6] }, { name: "beta", shape: [6] }],
      build: (_g, [x, gamma, beta]) => layerNorm(x!, gamma!, beta!),
    });
  });

  it("over the last two axes (axis 1 of a rank-3 input) without bias, with epsilon 1e-3", async () => {
    await checkGradients({
      ...F32,
      inputs: [{ name: "x", shape: [2, 3, 4] }, { name: "gamma", shape: [3, 4] }],
      build: (_g, [x, gamma]) => layerNorm(x!, gamma!, undefined, { axis: 1, epsilon: 1e-3 }),
    });
  });

  it("with gradients reaching the Mean and InvStdDev outputs too", async () => {
    await checkGradients({
      ...F32,
      inputs: [{ name: "x", shape: [4, 5] }, { name: "gamma", shape: [5] }, { name: "beta", shape: [5] }],
      build: (g, [x, gamma, beta]) => {
        const [y, mean, invStd] = g.opMulti("LayerNormalization", [x!, gamma!, beta!], { axis: -1 });
        return add(y!, add(cast(mean!, "float32"), mul(cast(invStd!, "float32"), g.scalar(0.5))));
      },
    });
  });

  it("for a node created without its Mean and InvStdDev outputs (the gradient recomputes them)", async () => {
    await checkGradients({
      ...F32,
      inputs: [{ name: "x", shape: [3, 5] }, { name: "gamma", shape: [5] }],
      build: (g, [x, gamma]) => g.opMulti("LayerNormalization", [x!, gamma!], { axis: -1 }, 1)[0]!,
    });
  });
});

describe("autodiff: GroupNormalization and InstanceNormalization", () => {
  it("GroupNormalization, 3 groups of 2 channels, float64 (rtol 1e-6)", async () => {
    await checkGradients({
      ...F64,
      inputs: [{ name: "x", shape: [2, 6, 3, 3] }, { name: "gamma", shape: [6] }, { name: "beta", shape: [6] }],
      build: (_g, [x, gamma, beta]) => groupNorm(x!, gamma!, beta!, 3),
    });
  });

  it("GroupNormalization with one group and with a group per channel, 1-D maps, float64 (rtol 1e-6)", async () => {
    for (const groups of [1, 4]) {
      await checkGradients({
        ...F64,
        inputs: [{ name: "x", shape: [2, 4, 5] }, { name: "gamma", shape: [4] }, { name: "beta", shape: [4] }],
        build: (_g, [x, gamma, beta]) => groupNorm(x!, gamma!, beta!, groups, 1e-3),
      });
    }
  });

  it("GroupNormalization in float32 at the default stash_type, as the UNet runs it (rtol 1e-2, atol 1e-3)", async () => {
    await checkGradients({
      ...F32,
      inputs: [{ name: "x", shape: [2, 4, 3, 3] }, { name: "gamma", shape: [4] }, { name: "beta", shape: [4] }],
      build: (_g, [x, gamma, beta]) => groupNorm(x!, gamma!, beta!, 2),
    });
  });

  it("InstanceNormalization in float32 (rtol 1e-2, atol 1e-3)", async () => {
    await checkGradients({
      ...F32,
      inputs: [{ name: "x", shape: [2, 3, 3, 4] }, { name: "gamma", shape: [3] }, { name: "beta", shape: [3] }],
      build: (g, [x, gamma, beta]) => g.op("InstanceNormalization", [x!, gamma!, beta!], { epsilon: 1e-4 }),
    });
  });
});

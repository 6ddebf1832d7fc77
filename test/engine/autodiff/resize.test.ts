import { strict as assert } from "node:assert";
import { gradients } from "../../../src/engine/autodiff/gradients.js";
import { autodiffMessages } from "../../../src/engine/autodiff/messages.js";
import { sumAll, upsampleNearest, upsampleNearest2x } from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { serializeGraph } from "../../../src/engine/graph/serialize.js";
import type { Attributes, Value } from "../../../src/engine/graph/value.js";
import { compileGraph } from "../../../src/engine/runtime/ort-runtime.js";
import { checkGradients } from "../../support/gradient-check.js";

/** Resize runs in onnxruntime for float32 only; nearest resizing is linear, so the bound is tight. */
const LINEAR_F32 = { dtype: "float32", eps: 0.25, rtol: 1e-3, atol: 1e-3, samples: 1e9 } as const;

function resize(x: Value, scales: readonly number[] | undefined, attrs: Attributes, sizes?: readonly number[]): Value {
  const g = x.graph;
  const s = scales === undefined ? undefined : g.constant({ dtype: "float32", shape: [scales.length], data: Float32Array.from(scales) });
  return g.op("Resize", sizes === undefined ? [x, undefined, s] : [x, undefined, undefined, g.int64s(sizes)], attrs);
}

describe("upsampleNearest2x", () => {
  it("repeats every element of each spatial axis twice", async () => {
    const g = new GraphBuilder("up");
    const x = g.input("x", "float32", [1, 2, 2, 3]);
    const y = upsampleNearest2x(x);
    assert.deepEqual(y.shape, [1, 2, 4, 6]);
    g.output(y, "y");
    const graph = await compileGraph(serializeGraph(g), { threads: 1 });
    try {
      const data = Float32Array.from({ length: 12 }, (_, i) => i);
      const out = (await graph.run({ x: { dtype: "float32", shape: [1, 2, 2, 3], data } }))["y"]!.data as Float32Array;
      const expected: number[] = [];
      for (let c = 0; c < 2; c++)
        for (let h = 0; h < 4; h++) for (let w = 0; w < 6; w++) expected.push(data[c * 6 + Math.floor(h / 2) * 3 + Math.floor(w / 2)]!);
      assert.deepEqual(Array.from(out), expected);
    } finally {
      await graph.release();
    }
  });
});

describe("autodiff: nearest Resize by whole factors (float32 central differences, rtol 1e-3, atol 1e-3, all elements)", () => {
  it("upsampleNearest2x (Resize with asymmetric coordinates and floor rounding)", async () => {
    await checkGradients({ ...LINEAR_F32, inputs: [{ name: "x", shape: [2, 3, 3, 4] }], build: (_g, [x]) => upsampleNearest2x(x!) });
  });

  it("upsampleNearest by 3 on a 1-D map", async () => {
    await checkGradients({ ...LINEAR_F32, inputs: [{ name: "x", shape: [2, 2, 5] }], build: (_g, [x]) => upsampleNearest(x!, 3) });
  });

  it("Resize's defaults (half_pixel, round_prefer_floor) with unequal factors 3 and 2", async () => {
    await checkGradients({ ...LINEAR_F32, inputs: [{ name: "x", shape: [1, 2, 3, 4] }], build: (_g, [x]) => resize(x!, [1, 1, 3, 2], {}) });
  });

  it("Resize by sizes on the axes attribute's axes", async () => {
    await checkGradients({ ...LINEAR_F32, inputs: [{ name: "x", shape: [1, 2, 3, 4] }], build: (_g, [x]) => resize(x!, undefined, { axes: [2, 3] }, [6, 8]) });
  });

  it("Resize repeating along the batch and channel axes too (the Reshape + ReduceSum form)", async () => {
    await checkGradients({
      ...LINEAR_F32,
      inputs: [{ name: "x", shape: [2, 2, 3] }],
      build: (_g, [x]) => resize(x!, [2, 3, 1], { coordinate_transformation_mode: "asymmetric", nearest_mode: "floor" }),
    });
  });
});

describe("autodiff: Resize without a gradient", () => {
  const cases: [string, number[], Attributes, string][] = [
    ["linear interpolation", [1, 1, 2, 2], { mode: "linear" }, "mode 'linear'"],
    ["a fractional scale", [1, 1, 1.5, 2], {}, "scale 1.5 on axis 2 (4 → 6)"],
    [
      "half_pixel coordinates with floor rounding (shifts by half a block)",
      [1, 1, 2, 2],
      { nearest_mode: "floor" },
      "coordinate_transformation_mode 'half_pixel' with nearest_mode 'floor' on axis 2, which does not repeat each element 2 times",
    ],
  ];
  for (const [name, scales, attrs, what] of cases) {
    it(`throws naming the node and the reason for ${name}`, () => {
      const g = new GraphBuilder();
      const x = g.input("x", "float32", [1, 1, 4, 4]);
      const y = resize(x, scales, attrs);
      assert.throws(() => gradients(sumAll(y), [x]), { message: autodiffMessages.resizeNotRepeating(y.producer!.id, what) });
    });
  }
});

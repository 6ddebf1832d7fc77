import { strict as assert } from "node:assert";
import { gradients } from "../../../src/engine/autodiff/gradients.js";
import { mul, sumAll } from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { serializeGraph } from "../../../src/engine/graph/serialize.js";
import type { Value } from "../../../src/engine/graph/value.js";
import { compileGraph } from "../../../src/engine/runtime/ort-runtime.js";
import { checkGradients } from "../../support/gradient-check.js";

/**
 * AveragePool and GlobalAveragePool run in onnxruntime for float32 only; they are linear, so a
 * central difference is exact up to float32 rounding and a large step (0.25) allows a tight bound.
 */
const LINEAR_F32 = { dtype: "float32", eps: 0.25, rtol: 1e-3, atol: 1e-3, samples: 1e9 } as const;

type PoolAttrs = Record<string, number | readonly number[]>;
const avgPool = (x: Value, attrs: PoolAttrs): Value => x.graph.op("AveragePool", [x], attrs);
const maxPool = (x: Value, attrs: PoolAttrs): Value => x.graph.op("MaxPool", [x], attrs);

describe("autodiff: AveragePool and GlobalAveragePool (float32 central differences, rtol 1e-3, atol 1e-3, all elements)", () => {
  it("2×2 windows with stride 2 tiling the map (the UNet downsampling shape; dX is a nearest Resize)", async () => {
    await checkGradients({
      ...LINEAR_F32,
      inputs: [{ name: "x", shape: [2, 3, 6, 4] }],
      build: (_g, [x]) => avgPool(x!, { kernel_shape: [2, 2], strides: [2, 2] }),
    });
  });

  it("2×2 windows with stride 2 on an odd-sized map (the last row and column are in no window)", async () => {
    await checkGradients({
      ...LINEAR_F32,
      inputs: [{ name: "x", shape: [1, 2, 5, 7] }],
      build: (_g, [x]) => avgPool(x!, { kernel_shape: [2, 2], strides: [2, 2] }),
    });
  });

  it("3×3 windows, stride 2, padding, count_include_pad = 0 (border windows divide by fewer taps)", async () => {
    await checkGradients({
      ...LINEAR_F32,
      inputs: [{ name: "x", shape: [2, 2, 7, 6] }],
      build: (_g, [x]) => avgPool(x!, { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 2] }),
    });
  });

  it("3×3 windows, stride 2, padding, count_include_pad = 1", async () => {
    await checkGradients({
      ...LINEAR_F32,
      inputs: [{ name: "x", shape: [2, 2, 7, 6] }],
      build: (_g, [x]) => avgPool(x!, { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 2], count_include_pad: 1 }),
    });
  });

  it("ceil_mode windows hanging past the end, with both count_include_pad settings", async () => {
    // Rows: 6 + 1 + 1 padded, windows start at −1, 1, 3, 5; the last covers row 5, pad row 6 and
    // nothing. Columns: 7, windows start at 0, 2, 4, 6; the last covers column 6 and nothing.
    for (const cip of [0, 1]) {
      await checkGradients({
        ...LINEAR_F32,
        inputs: [{ name: "x", shape: [1, 2, 6, 7] }],
        build: (_g, [x]) => avgPool(x!, { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 0], ceil_mode: 1, count_include_pad: cip }),
      });
    }
  });

  it("dilated windows", async () => {
    await checkGradients({
      ...LINEAR_F32,
      inputs: [{ name: "x", shape: [1, 2, 7, 6] }],
      build: (_g, [x]) => avgPool(x!, { kernel_shape: [2, 2], dilations: [2, 1], strides: [1, 2] }),
    });
  });

  it("1-D with unit stride and a begin pad", async () => {
    await checkGradients({ ...LINEAR_F32, inputs: [{ name: "x", shape: [2, 3, 8] }], build: (_g, [x]) => avgPool(x!, { kernel_shape: [3], pads: [2, 0] }) });
  });

  it("GlobalAveragePool over 2-D and 1-D maps", async () => {
    await checkGradients({ ...LINEAR_F32, inputs: [{ name: "x", shape: [2, 3, 4, 5] }], build: (g, [x]) => g.op("GlobalAveragePool", [x!]) });
    await checkGradients({ ...LINEAR_F32, inputs: [{ name: "x", shape: [2, 3, 7] }], build: (g, [x]) => g.op("GlobalAveragePool", [x!]) });
  });
});

describe("autodiff: MaxPool (float64 central differences, rtol 1e-6, all elements; random inputs have no ties)", () => {
  const F64 = { samples: 1e9 } as const;

  it("2×2 windows with stride 2", async () => {
    await checkGradients({ ...F64, inputs: [{ name: "x", shape: [2, 3, 6, 4] }], build: (_g, [x]) => maxPool(x!, { kernel_shape: [2, 2], strides: [2, 2] }) });
  });

  it("overlapping 3×3 windows with stride 1 and padding (an element can win several windows)", async () => {
    await checkGradients({
      ...F64,
      inputs: [{ name: "x", shape: [1, 2, 5, 5] }],
      build: (_g, [x]) => maxPool(x!, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
    });
  });

  it("dilation, asymmetric pads, unequal strides and ceil_mode", async () => {
    await checkGradients({
      ...F64,
      inputs: [{ name: "x", shape: [2, 2, 7, 8] }],
      build: (_g, [x]) => maxPool(x!, { kernel_shape: [2, 3], dilations: [2, 1], strides: [2, 3], pads: [1, 0, 0, 0], ceil_mode: 1 }),
    });
  });

  it("1-D", async () => {
    await checkGradients({ ...F64, inputs: [{ name: "x", shape: [2, 2, 9] }], build: (_g, [x]) => maxPool(x!, { kernel_shape: [3], strides: [2] }) });
  });

  it("a node created without its Indices output (the gradient recomputes them)", async () => {
    await checkGradients({
      ...F64,
      inputs: [{ name: "x", shape: [1, 2, 4, 6] }],
      build: (g, [x]) => g.opMulti("MaxPool", [x!], { kernel_shape: [2, 2], strides: [2, 2] }, 1)[0]!,
    });
  });

  it("gives a tied window's whole gradient to its first maximal element", async () => {
    const g = new GraphBuilder("ties");
    const x = g.input("x", "float64", [1, 1, 2, 4]);
    const y = maxPool(x, { kernel_shape: [2, 2], strides: [2, 2] });
    const weights = g.constant({ dtype: "float64", shape: [1, 1, 1, 2], data: new Float64Array([3, 5]) });
    const [dx] = gradients(sumAll(mul(y, weights)), [x]);
    g.output(dx!, "dx");
    const graph = await compileGraph(serializeGraph(g), { threads: 1 });
    try {
      const out = await graph.run({ x: { dtype: "float64", shape: [1, 1, 2, 4], data: new Float64Array(8).fill(1) } });
      assert.deepEqual(Array.from(out["dx"]!.data as Float64Array), [3, 0, 5, 0, 0, 0, 0, 0]);
    } finally {
      await graph.release();
    }
  });
});

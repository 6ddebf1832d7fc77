import { strict as assert } from "node:assert";
import { concat, expand, gather, mul, slice, split, squeeze, transpose, unsqueeze } from "../../../src/engine/graph/functional.js";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { serializeGraph } from "../../../src/engine/graph/serialize.js";
import { compileGraph } from "../../../src/engine/runtime/ort-runtime.js";
import { tensor } from "../../../src/tensor.js";
import { checkGradients } from "../../support/gradient-check.js";

const ids = (...v: number[]): BigInt64Array => BigInt64Array.from(v, BigInt);
const INT64_MAX = Number.MAX_SAFE_INTEGER;
const INT64_MIN = Number.MIN_SAFE_INTEGER;

/** [axes, starts, ends, steps] cases on a [5, 6, 7] input. */
const SLICES: [number[], number[], number[], number[] | undefined][] = [
  [[0, 1, 2], [1, 0, 2], [4, 6, 5], undefined], // plain, all axes
  [[1], [1], [INT64_MAX], [2]], // step 2 to the end, one axis
  [[2], [-1], [INT64_MIN], [-1]], // reversed
  [
    [2, 0],
    [-2, 4],
    [0, 0],
    [-2, -3],
  ], // negative steps > 1, axes out of order
  [
    [-1, -3],
    [-6, -4],
    [-1, 5],
    [3, 2],
  ], // negative axes and indices, steps 3 and 2
  [[1], [-100], [100], [4]], // clamped bounds
  [[0], [-10], [INT64_MIN], [-1]], // start below −dim with a negative step: one element (index 0)
  [[1], [4], [2], [1]], // empty
];

describe("autodiff: shape ops (central differences, float64, rtol 1e-6)", () => {
  it("Flatten at every axis", async () => {
    for (const axis of [0, 1, 2, -1]) {
      await checkGradients({ inputs: [{ name: "x", shape: [2, 3, 4] }], build: (g, [x]) => g.op("Flatten", [x!], { axis }) });
    }
  });

  it("Transpose with the default (reversing) and explicit permutations", async () => {
    await checkGradients({ inputs: [{ name: "x", shape: [2, 3, 4] }], build: (g, [x]) => g.op("Transpose", [x!]) });
    await checkGradients({ inputs: [{ name: "x", shape: [2, 3, 4, 5] }], build: (_g, [x]) => transpose(x!, [2, 0, 3, 1]) });
  });

  it("Concat of three inputs on a middle and a negative axis, one of them constant", async () => {
    await checkGradients({
      inputs: [
        { name: "a", shape: [2, 1, 3] },
        { name: "b", shape: [2, 4, 3] },
      ],
      build: (g, [a, b]) => concat([a!, g.constant(tensor("float64", [2, 2, 3], new Float64Array(12).fill(0.5))), b!], 1),
    });
    await checkGradients({
      inputs: [
        { name: "a", shape: [2, 3] },
        { name: "b", shape: [2, 1] },
        { name: "c", shape: [2, 2] },
      ],
      build: (_g, [a, b, c]) => concat([a!, b!, c!], -1),
    });
  });

  it("Split with sizes and with num_outputs, when only some outputs reach the loss", async () => {
    await checkGradients({
      inputs: [{ name: "x", shape: [3, 7] }],
      build: (_g, [x]) => {
        const [p, , r] = split(x!, [2, 4, 1], 1);
        return mul(p!, r!);
      },
    });
    await checkGradients({
      inputs: [{ name: "x", shape: [6, 2] }],
      build: (g, [x]) => g.opMulti("Split", [x!], { axis: 0, num_outputs: 3 })[1]!,
    });
    await checkGradients({
      inputs: [{ name: "x", shape: [5, 2] }],
      build: (g, [x]) => {
        const [p, q, r] = g.opMulti("Split", [x!], { axis: -2, num_outputs: 3 });
        return concat([r!, q!, p!], 0);
      },
    });
  });

  it("Slice with steps, negative steps and indices, axis subsets, clamping and empty results", async () => {
    for (const [axes, starts, ends, steps] of SLICES) {
      await checkGradients({
        inputs: [{ name: "x", shape: [5, 6, 7] }],
        samples: 210, // every element: most lie outside the slice and must get exactly 0
        build: (_g, [x]) => mul(slice(x!, axes, starts, ends, steps), slice(x!, axes, starts, ends, steps)),
      });
    }
  });

  it("the builder's Slice shapes agree with onnxruntime's outputs", async () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float32", [5, 6, 7]);
    const outs = SLICES.map(([axes, starts, ends, steps], i) => {
      const y = slice(x, axes, starts, ends, steps);
      g.output(y, `y${i}`);
      return y;
    });
    const compiled = await compileGraph(serializeGraph(g), { threads: 1 });
    try {
      const r = await compiled.run({ x: tensor("float32", [5, 6, 7]) });
      outs.forEach((y, i) => assert.deepEqual(r[`y${i}`]!.shape, y.shape, `slice case ${i}`));
    } finally {
      await compiled.release();
    }
  });

  it("Squeeze and Unsqueeze", async () => {
    await checkGradients({ inputs: [{ name: "x", shape: [2, 1, 3, 1] }], build: (_g, [x]) => squeeze(x!, [1, -1]) });
    await checkGradients({ inputs: [{ name: "x", shape: [2, 3] }], build: (_g, [x]) => unsqueeze(x!, [0, 3]) });
  });

  it("Expand to a higher rank and over size-1 axes sums dy back", async () => {
    await checkGradients({ inputs: [{ name: "x", shape: [3, 1] }], build: (_g, [x]) => expand(x!, [2, 3, 4]) });
    await checkGradients({ inputs: [{ name: "x", shape: [1, 4] }], build: (g, [x]) => g.op("Expand", [x!, g.int64s([3, 1])]) });
  });

  it("Tile repeats on one and on several axes", async () => {
    await checkGradients({ inputs: [{ name: "x", shape: [2, 3] }], build: (g, [x]) => g.op("Tile", [x!, g.int64s([2, 1])]) });
    await checkGradients({ inputs: [{ name: "x", shape: [2, 1, 3] }], build: (g, [x]) => g.op("Tile", [x!, g.int64s([3, 4, 2])]) });
  });

  it("Gather as an embedding: rows looked up several times accumulate their gradients", async () => {
    await checkGradients({
      inputs: [
        { name: "table", shape: [5, 3] },
        { name: "ids", shape: [2, 3], dtype: "int64", data: ids(1, 3, 1, 0, 1, 3) },
      ],
      build: (_g, [t, i]) => gather(t!, i!, 0),
    });
  });

  it("Gather on other axes, with a scalar index, negative ids and int32 ids", async () => {
    await checkGradients({
      inputs: [
        { name: "x", shape: [2, 4, 3] },
        { name: "ids", shape: [3, 2], dtype: "int64", data: ids(0, 3, 3, 1, -1, 2) },
      ],
      build: (_g, [x, i]) => gather(x!, i!, 1),
    });
    await checkGradients({
      inputs: [
        { name: "x", shape: [2, 4, 3] },
        { name: "ids", shape: [4], dtype: "int32", data: Int32Array.from([2, 0, 2, -3]) },
      ],
      build: (_g, [x, i]) => gather(x!, i!, -1),
    });
    await checkGradients({
      inputs: [{ name: "x", shape: [3, 4] }],
      build: (g, [x]) => gather(x!, g.constant(tensor("int64", [], ids(2))), 0),
    });
  });
});

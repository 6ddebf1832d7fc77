import { strict as assert } from "node:assert";
import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import { conv2d } from "../../../src/engine/layers/conv2d.js";
import { layerMessages as msg } from "../../../src/engine/layers/messages.js";
import { createParameterScope } from "../../../src/engine/nn/graph-parameter-scope.js";
import { bindAsInputs } from "../../../src/engine/nn/parameter-bindings.js";
import { testRandom } from "../../support/gradient-check.js";
import { checkLayerGradients, layerParameters } from "./layer-gradients.js";
import { runLayer } from "./run-layer.js";

/**
 * Conv is linear in x, W and b, so a central difference is exact up to float32 rounding: a large
 * step (0.25) keeps that small and allows |a − n| ≤ 1e-3 + 1e-3·max(|a|, |n|). Every element is checked.
 */
const LINEAR = { eps: 0.25, rtol: 1e-3, atol: 1e-3, samples: 1e9 } as const;

/** Direct convolution: x [N, C, H, W], w [M, C/g, kh, kw], pads [top, left, bottom, right]. */
function referenceConv(
  x: Float32Array,
  xs: number[],
  w: Float32Array,
  ws: number[],
  b: Float32Array | undefined,
  o: { stride: [number, number]; pads: [number, number, number, number]; dilation: [number, number]; groups: number },
): { y: Float64Array; shape: number[] } {
  const [n, c, h, wd] = xs as [number, number, number, number];
  const [m, cg, kh, kw] = ws as [number, number, number, number];
  const oh = Math.floor((h + o.pads[0] + o.pads[2] - (o.dilation[0] * (kh - 1) + 1)) / o.stride[0]) + 1;
  const ow = Math.floor((wd + o.pads[1] + o.pads[3] - (o.dilation[1] * (kw - 1) + 1)) / o.stride[1]) + 1;
  const y = new Float64Array(n * m * oh * ow);
  const mg = m / o.groups;
  for (let ni = 0; ni < n; ni++)
    for (let mi = 0; mi < m; mi++)
      for (let yi = 0; yi < oh; yi++)
        for (let xi = 0; xi < ow; xi++) {
          let s = b?.[mi] ?? 0;
          const g = Math.floor(mi / mg);
          for (let ci = 0; ci < cg; ci++)
            for (let ki = 0; ki < kh; ki++)
              for (let kj = 0; kj < kw; kj++) {
                const r = yi * o.stride[0] - o.pads[0] + ki * o.dilation[0];
                const q = xi * o.stride[1] - o.pads[1] + kj * o.dilation[1];
                if (r < 0 || r >= h || q < 0 || q >= wd) continue;
                s += x[((ni * c + g * cg + ci) * h + r) * wd + q]! * w[((mi * cg + ci) * kh + ki) * kw + kj]!;
              }
          y[((ni * m + mi) * oh + yi) * ow + xi] = s;
        }
  return { y, shape: [n, m, oh, ow] };
}

function randomTensor(shape: number[], seed: number): { dtype: "float32"; shape: number[]; data: Float32Array } {
  const r = testRandom(seed);
  return { dtype: "float32", shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal()) };
}

describe("layers: conv2d", () => {
  it("declares weight [M, C/groups, kh, kw] and bias [M] initialised U(±1/√fanIn) (PyTorch's default)", () => {
    const specs = layerParameters([{ name: "x", shape: [1, 6, 5, 5] }], (s, [x]) => conv2d(s.child("c"), x!, 4, { kernel: [3, 2], groups: 2 }));
    assert.deepEqual(
      specs.map((s) => [s.name, s.shape, s.init.kind, s.init.args["fanIn"], s.decay]),
      [
        ["c.weight", [4, 3, 3, 2], "torch-default", 18, true],
        ["c.bias", [4], "torch-default", 18, false],
      ],
    );
  });

  it("computes the convolution with asymmetric padding [top, left, bottom, right], stride, dilation and groups (vs a direct loop, |err| ≤ 1e-5)", async () => {
    const x = randomTensor([2, 4, 7, 6], 1);
    const options = {
      stride: [2, 1] as [number, number],
      pads: [1, 0, 2, 1] as [number, number, number, number],
      dilation: [1, 2] as [number, number],
      groups: 2,
    };
    const run = await runLayer([{ name: "x", tensor: x }], (s, [xv]) =>
      conv2d(s.child("c"), xv!, 6, { kernel: 3, stride: options.stride, padding: options.pads, dilation: options.dilation, groups: 2 }),
    );
    const ref = referenceConv(x.data, x.shape, run.parameters["c.weight"]!, [6, 2, 3, 3], run.parameters["c.bias"], options);
    assert.deepEqual(run.shape, ref.shape);
    ref.y.forEach((v, i) => assert.ok(Math.abs(v - run.output[i]!) <= 1e-5, `element ${i}: ${run.output[i]} vs ${v}`));
  });

  it("pads symmetrically per axis with padding [h, w] and omits the bias with bias: false", async () => {
    const x = randomTensor([1, 2, 5, 4], 2);
    const run = await runLayer([{ name: "x", tensor: x }], (s, [xv]) => conv2d(s.child("c"), xv!, 3, { kernel: [3, 1], padding: [1, 0], bias: false }));
    assert.deepEqual(Object.keys(run.parameters), ["c.weight"]);
    const ref = referenceConv(x.data, x.shape, run.parameters["c.weight"]!, [3, 2, 3, 1], undefined, {
      stride: [1, 1],
      pads: [1, 0, 1, 0],
      dilation: [1, 1],
      groups: 1,
    });
    assert.deepEqual(run.shape, [1, 3, 5, 4]);
    ref.y.forEach((v, i) => assert.ok(Math.abs(v - run.output[i]!) <= 1e-5));
  });

  it("has exact gradients for x, weight and bias with stride 2, padding 1 (float32, rtol 1e-3, atol 1e-3, all elements)", async () => {
    const r = await checkLayerGradients({
      ...LINEAR,
      inputs: [{ name: "x", shape: [2, 3, 6, 5] }],
      layer: (s, [x]) => conv2d(s.child("c"), x!, 4, { kernel: 3, stride: 2, padding: 1 }),
    });
    assert.deepEqual(
      r.parameters.map((p) => p.name),
      ["c.weight", "c.bias"],
    );
  });

  it("has exact gradients with groups 2, dilation 2 and asymmetric padding, without bias (float32, rtol 1e-3, atol 1e-3, all elements)", async () => {
    await checkLayerGradients({
      ...LINEAR,
      inputs: [{ name: "x", shape: [2, 4, 7, 6] }],
      layer: (s, [x]) => conv2d(s.child("c"), x!, 6, { kernel: [3, 2], dilation: 2, padding: [2, 0, 1, 1], groups: 2, bias: false }),
    });
  });

  it("rejects channels not divisible by groups, a non-4-D input and bad sizes with messages naming the layer", () => {
    const g = new GraphBuilder();
    const { scope } = createParameterScope(g, bindAsInputs(), { training: true });
    const x = g.input("x", "float32", [1, 6, 4, 4]);
    assert.throws(() => conv2d(scope.child("c"), x, 4, { groups: 4 }), {
      name: "RangeError",
      message: msg.notDivisible("conv2d", "c", "input channels", 6, "groups", 4),
    });
    assert.throws(() => conv2d(scope.child("c"), x, 5, { groups: 3 }), { message: msg.notDivisible("conv2d", "c", "outChannels", 5, "groups", 3) });
    assert.throws(() => conv2d(scope.child("c"), g.input("v", "float32", [6, 4, 4]), 4), { message: msg.badRank("conv2d", "c", "[N, C, H, W]", [6, 4, 4]) });
    assert.throws(() => conv2d(scope.child("c"), x, 0), { message: msg.notPositiveInteger("conv2d", "c", "outChannels", 0) });
    assert.throws(() => conv2d(scope.child("c"), x, 4, { stride: 0 }), {
      message: msg.badOption("conv2d", "c", "stride", "a whole number ≥ 1 or a pair of them", 0),
    });
  });
});

import { GraphBuilder } from "../../../src/engine/graph/graph-builder.js";
import type { Value } from "../../../src/engine/graph/value.js";
import { checkGradients } from "../../support/gradient-check.js";

/**
 * onnxruntime's CPU provider runs Conv and ConvTranspose for float32 only, so these checks are float32.
 * Both ops are linear in each input, so a central difference is exact up to float32 rounding; a large
 * step (eps 0.25) keeps that rounding small and allows a tight bound: |a − n| ≤ 1e-3 + 1e-3·max(|a|, |n|).
 * Every element of every input is checked.
 */
const F32 = { dtype: "float32", eps: 0.25, rtol: 1e-3, atol: 1e-3, samples: 1e9 } as const;

type ConvAttrs = Record<string, number | readonly number[]>;

function conv(x: Value, w: Value, b: Value | undefined, attrs: ConvAttrs): Value {
  return x.graph.op("Conv", b === undefined ? [x, w] : [x, w, b], attrs);
}

function convTranspose(x: Value, w: Value, b: Value | undefined, attrs: ConvAttrs): Value {
  return x.graph.op("ConvTranspose", b === undefined ? [x, w] : [x, w, b], attrs);
}

describe("autodiff: Conv (float32 central differences, rtol 1e-3, atol 1e-3, all elements)", () => {
  it("group 1 with bias, stride 2 not dividing the padded size, asymmetric pads and dilation", async () => {
    // Padded height 8+0+2 = 10, window 2·(3−1)+1 = 5: (10−5)/2 leaves a remainder of 1 row.
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [2, 3, 8, 7] },
        { name: "w", shape: [4, 3, 3, 2] },
        { name: "b", shape: [4] },
      ],
      build: (_g, [x, w, b]) => conv(x!, w!, b, { strides: [2, 2], pads: [0, 1, 2, 0], dilations: [2, 1] }),
    });
  });

  it("group 1 without bias, stride 3 and end pads the window never reaches", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [1, 2, 7, 6] },
        { name: "w", shape: [3, 2, 2, 3] },
      ],
      build: (_g, [x, w]) => conv(x!, w!, undefined, { strides: [3, 2], pads: [1, 0, 2, 1] }),
    });
  });

  it("depthwise (group = C = 3, two filters per channel) with padding", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [2, 3, 5, 5] },
        { name: "w", shape: [6, 1, 3, 3] },
        { name: "b", shape: [6] },
      ],
      build: (_g, [x, w, b]) => conv(x!, w!, b, { group: 3, pads: [1, 1, 1, 1] }),
    });
  });

  it("grouped (C = 4, group 2, 6 outputs) with unequal strides, dilation and asymmetric pads", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [2, 4, 7, 8] },
        { name: "w", shape: [6, 2, 2, 3] },
        { name: "b", shape: [6] },
      ],
      build: (_g, [x, w, b]) => conv(x!, w!, b, { group: 2, strides: [2, 3], dilations: [2, 1], pads: [1, 0, 0, 2] }),
    });
  });

  it("unit stride, group 2, dilation 2 and asymmetric pads (dX as a Conv with the flipped kernel)", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [2, 4, 7, 6] },
        { name: "w", shape: [4, 2, 3, 2] },
        { name: "b", shape: [4] },
      ],
      build: (_g, [x, w, b]) => conv(x!, w!, b, { group: 2, dilations: [2, 1], pads: [2, 0, 1, 1] }),
    });
  });

  it("unit stride with pads wider than the window (dX through ConvTranspose)", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [1, 2, 4, 4] },
        { name: "w", shape: [3, 2, 2, 2] },
      ],
      build: (_g, [x, w]) => conv(x!, w!, undefined, { pads: [2, 1, 0, 2] }),
    });
  });

  it("1-D with stride 2, dilation 2 and group 2", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [2, 4, 11] },
        { name: "w", shape: [2, 2, 3] },
        { name: "b", shape: [2] },
      ],
      build: (_g, [x, w, b]) => conv(x!, w!, b, { group: 2, strides: [2], dilations: [2], pads: [1, 0] }),
    });
  });

  it("3-D with stride 2", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [1, 2, 4, 5, 3] },
        { name: "w", shape: [2, 2, 2, 2, 2] },
      ],
      build: (_g, [x, w]) => conv(x!, w!, undefined, { strides: [2, 2, 1], pads: [0, 1, 0, 1, 0, 0] }),
    });
  });

  // From 16 input channels on, unit-stride kernel gradients take one GEMM per kernel tap (conv-backprop.ts).
  it("unit stride, 16 input channels, 3 outputs, pads 1 (one GEMM per tap, dY's windows shifted)", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [2, 16, 5, 4] },
        { name: "w", shape: [3, 16, 3, 3] },
        { name: "b", shape: [3] },
      ],
      build: (_g, [x, w, b]) => conv(x!, w!, b, { pads: [1, 1, 1, 1] }),
    });
  });

  it("unit stride, 16 input and 16 output channels, pads 1 (one GEMM per tap, X's windows shifted)", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [1, 16, 4, 3] },
        { name: "w", shape: [16, 16, 3, 3] },
      ],
      build: (_g, [x, w]) => conv(x!, w!, undefined, { pads: [1, 1, 1, 1] }),
    });
  });

  it("unit stride, 16 input channels, 2×3 kernel, dilation and asymmetric pads (one GEMM per tap)", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [2, 16, 6, 5] },
        { name: "w", shape: [2, 16, 2, 3] },
      ],
      build: (_g, [x, w]) => conv(x!, w!, undefined, { dilations: [2, 1], pads: [1, 0, 0, 2] }),
    });
  });

  it("1-D, unit stride, 17 input channels, dilation 2 (one GEMM per tap)", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [2, 17, 7] },
        { name: "w", shape: [3, 17, 3] },
        { name: "b", shape: [3] },
      ],
      build: (_g, [x, w, b]) => conv(x!, w!, b, { dilations: [2], pads: [2, 0] }),
    });
  });

  it("the input of a second Conv (gradients flow through a chain)", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [1, 2, 6, 6] },
        { name: "w1", shape: [3, 2, 3, 3] },
        { name: "w2", shape: [2, 3, 2, 2] },
      ],
      build: (_g, [x, w1, w2]) => conv(conv(x!, w1!, undefined, { pads: [1, 1, 1, 1] }), w2!, undefined, { strides: [2, 2] }),
    });
  });
});

describe("autodiff: ConvTranspose (float32 central differences, rtol 1e-3, atol 1e-3, all elements)", () => {
  it("stride 2 with output_padding, pads and bias", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [2, 3, 4, 3] },
        { name: "w", shape: [3, 2, 3, 3] },
        { name: "b", shape: [2] },
      ],
      build: (_g, [x, w, b]) => convTranspose(x!, w!, b, { strides: [2, 2], pads: [1, 0, 1, 1], output_padding: [1, 0] }),
    });
  });

  it("2×2 kernel, stride 2 (the UNet upsampling shape) without bias", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [2, 2, 3, 3] },
        { name: "w", shape: [2, 3, 2, 2] },
      ],
      build: (_g, [x, w]) => convTranspose(x!, w!, undefined, { strides: [2, 2] }),
    });
  });

  it("grouped (group 2) with dilation and stride 3", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [1, 4, 3, 4] },
        { name: "w", shape: [4, 3, 2, 2] },
        { name: "b", shape: [6] },
      ],
      build: (_g, [x, w, b]) => convTranspose(x!, w!, b, { group: 2, strides: [3, 2], dilations: [2, 1], output_padding: [2, 1] }),
    });
  });

  it("unit stride, 16 output channels, pads (its kernel gradient one GEMM per tap)", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [2, 3, 4, 4] },
        { name: "w", shape: [3, 16, 3, 3] },
      ],
      build: (_g, [x, w]) => convTranspose(x!, w!, undefined, { pads: [1, 0, 1, 2] }),
    });
  });

  it("1-D with stride 2", async () => {
    await checkGradients({
      ...F32,
      inputs: [
        { name: "x", shape: [2, 2, 5] },
        { name: "w", shape: [2, 3, 3] },
      ],
      build: (_g, [x, w]) => convTranspose(x!, w!, undefined, { strides: [2], pads: [1, 0] }),
    });
  });
});

// Keeps the graph builder import used when every case above builds through the helper.
void GraphBuilder;

/** Conv, ConvTranspose, pooling and Resize over N×C×spatial tensors (explicit pads only, no auto_pad). */
import { opMessages as msg } from "./messages.js";
import { registerOp, type InferenceContext } from "../op-schema.js";
import { normalizeAxis } from "../shape.js";

interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
}

function window(ctx: InferenceContext, kernel: number[]): Window {
  const n = kernel.length;
  const ones = new Array<number>(n).fill(1);
  const autoPad = ctx.attr<string>("auto_pad", "NOTSET");
  if (autoPad !== "NOTSET") ctx.fail(msg.autoPadUnsupported(autoPad));
  const w = {
    kernel,
    strides: [...ctx.attr<readonly number[]>("strides", ones)],
    dilations: [...ctx.attr<readonly number[]>("dilations", ones)],
    pads: [...ctx.attr<readonly number[]>("pads", new Array<number>(2 * n).fill(0))],
  };
  if (w.strides.length !== n || w.dilations.length !== n || w.pads.length !== 2 * n) {
    ctx.fail(msg.windowAttributes(n));
  }
  return w;
}

function convolvedSize(ctx: InferenceContext, input: number, w: Window, i: number, ceil = false): number {
  const span = w.dilations[i]! * (w.kernel[i]! - 1) + 1;
  const padded = input + w.pads[i]! + w.pads[i + w.kernel.length]!;
  if (padded < span) ctx.fail(msg.windowTooLarge(span, padded, i));
  const steps = (padded - span) / w.strides[i]!;
  if (!ceil) return Math.floor(steps) + 1;
  // ceil_mode drops a last window that would start in the end padding (ONNX spec, onnxruntime's
  // kernels, PyTorch). onnxruntime 1.30's load-time shape inference keeps it, so a graph that hits
  // this case can fail to load with "Incompatible dimensions": avoid such pads/strides.
  const out = Math.ceil(steps) + 1;
  return (out - 1) * w.strides[i]! >= input + w.pads[i]! ? out - 1 : out;
}

registerOp({
  opType: "Conv",
  attributes: { auto_pad: "string", dilations: "ints", group: "int", kernel_shape: "ints", pads: "ints", strides: "ints" },
  infer: (ctx) => {
    const x = ctx.input(0);
    const wt = ctx.input(1);
    const group = ctx.attr("group", 1);
    if (x.shape.length < 3 || wt.shape.length !== x.shape.length) ctx.fail(msg.convRanks());
    if (wt.shape[1]! * group !== x.shape[1]) ctx.fail(msg.convChannels(wt.shape[1], group, x.shape[1]));
    if (wt.shape[0]! % group !== 0) ctx.fail(msg.convGroups(wt.shape[0], group));
    const b = ctx.inputs[2];
    if (b !== undefined && (b.shape.length !== 1 || b.shape[0] !== wt.shape[0])) ctx.fail(msg.convBias(wt.shape[0], b.shape));
    const w = window(ctx, wt.shape.slice(2));
    const spatial = x.shape.slice(2).map((d, i) => convolvedSize(ctx, d, w, i));
    return [{ dtype: x.dtype, shape: [x.shape[0]!, wt.shape[0]!, ...spatial] }];
  },
});

registerOp({
  opType: "ConvTranspose",
  attributes: {
    auto_pad: "string",
    dilations: "ints",
    group: "int",
    kernel_shape: "ints",
    output_padding: "ints",
    output_shape: "ints",
    pads: "ints",
    strides: "ints",
  },
  infer: (ctx) => {
    const x = ctx.input(0);
    const wt = ctx.input(1);
    const group = ctx.attr("group", 1);
    if (x.shape.length < 3 || wt.shape.length !== x.shape.length) ctx.fail(msg.convTransposeRanks());
    if (wt.shape[0] !== x.shape[1]) ctx.fail(msg.convTransposeChannels(wt.shape[0], x.shape[1]));
    if (ctx.attributes["output_shape"] !== undefined) ctx.fail(msg.outputShapeUnsupported());
    const w = window(ctx, wt.shape.slice(2));
    const n = w.kernel.length;
    const outPad = ctx.attr<readonly number[]>("output_padding", new Array<number>(n).fill(0));
    const spatial = x.shape
      .slice(2)
      .map((d, i) => w.strides[i]! * (d - 1) + outPad[i]! + (w.kernel[i]! - 1) * w.dilations[i]! + 1 - w.pads[i]! - w.pads[i + n]!);
    return [{ dtype: x.dtype, shape: [x.shape[0]!, wt.shape[1]! * group, ...spatial] }];
  },
});

for (const opType of ["AveragePool", "MaxPool"]) {
  registerOp({
    opType,
    attributes: {
      auto_pad: "string",
      ceil_mode: "int",
      count_include_pad: "int",
      dilations: "ints",
      kernel_shape: "ints",
      pads: "ints",
      strides: "ints",
      storage_order: "int",
    },
    infer: (ctx) => {
      const x = ctx.input(0);
      const w = window(ctx, [...ctx.requiredAttr<readonly number[]>("kernel_shape")]);
      const ceil = ctx.attr("ceil_mode", 0) === 1;
      const spatial = x.shape.slice(2).map((d, i) => convolvedSize(ctx, d, w, i, ceil));
      const shape = [x.shape[0]!, x.shape[1]!, ...spatial];
      return opType === "MaxPool"
        ? [
            { dtype: x.dtype, shape },
            { dtype: "int64", shape },
          ]
        : [{ dtype: x.dtype, shape }];
    },
  });
}

for (const opType of ["GlobalAveragePool", "GlobalMaxPool"]) {
  registerOp({
    opType,
    attributes: {},
    infer: (ctx) => {
      const x = ctx.input(0);
      return [{ dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)] }];
    },
  });
}

registerOp({
  opType: "Resize",
  attributes: {
    mode: "string",
    nearest_mode: "string",
    coordinate_transformation_mode: "string",
    cubic_coeff_a: "float",
    exclude_outside: "int",
    extrapolation_value: "float",
    antialias: "int",
    axes: "ints",
    keep_aspect_ratio_policy: "string",
  },
  infer: (ctx) => {
    const x = ctx.input(0);
    const given = ctx.attr<readonly number[]>("axes", []);
    const axes = given.length > 0 ? given.map((a) => normalizeAxis(a, x.shape.length)) : x.shape.map((_, i) => i);
    const shape = [...x.shape];
    if (ctx.inputs[3] !== undefined) {
      if (ctx.attr("keep_aspect_ratio_policy", "stretch") !== "stretch") ctx.fail(msg.aspectPolicyUnsupported());
      const sizes = ctx.constantInts(3);
      if (sizes.length !== axes.length) ctx.fail(msg.sizesPerAxis(sizes.length, axes.length));
      axes.forEach((a, i) => {
        shape[a] = sizes[i]!;
      });
      return [{ dtype: x.dtype, shape }];
    }
    const scales = ctx.input(2).constant;
    if (scales === undefined) return ctx.fail(msg.scalesNotConstant());
    if (scales.data.length !== axes.length) ctx.fail(msg.scalesPerAxis(scales.data.length, axes.length));
    axes.forEach((a, i) => {
      shape[a] = Math.floor(x.shape[a]! * Number(scales.data[i]));
    });
    return [{ dtype: x.dtype, shape }];
  },
});

/** Element-wise ops: unary ones keep their input's type; binary ones broadcast numpy-style. */
import { opMessages as msg } from "./messages.js";
import { registerOp, type AttributeKind, type InferenceContext } from "../op-schema.js";
import { broadcastShapes } from "../shape.js";
import type { ValueType } from "../value.js";

const UNARY: Record<string, Record<string, AttributeKind>> = {
  Identity: {},
  Neg: {},
  Abs: {},
  Sqrt: {},
  Exp: {},
  Log: {},
  Reciprocal: {},
  Relu: {},
  LeakyRelu: { alpha: "float" },
  Sigmoid: {},
  Tanh: {},
  Erf: {},
  Sin: {},
  Cos: {},
  Floor: {},
  Ceil: {},
  Sign: {},
  Softplus: {},
  Not: {},
  Gelu: { approximate: "string" },
  IsNaN: {},
  IsInf: { detect_negative: "int", detect_positive: "int" },
  HardSigmoid: { alpha: "float", beta: "float" },
  Round: {},
  // Trigonometric and hyperbolic (onnxruntime 1.30's CPU provider: float32 only, except Sin and Cos).
  Tan: {},
  Asin: {},
  Acos: {},
  Atan: {},
  Sinh: {},
  Cosh: {},
  Asinh: {},
  Acosh: {},
  Atanh: {},
  // Activations (float32 only there); attributes default as in ONNX when omitted.
  Softsign: {},
  Elu: { alpha: "float" },
  Selu: { alpha: "float", gamma: "float" },
  Celu: { alpha: "float" },
  HardSwish: {},
  ThresholdedRelu: { alpha: "float" },
  Mish: {},
};

for (const [opType, attributes] of Object.entries(UNARY)) {
  registerOp({
    opType,
    attributes,
    infer: (ctx) => {
      const x = ctx.input(0);
      const dtype = opType === "IsNaN" || opType === "IsInf" ? "bool" : x.dtype;
      return [{ dtype, shape: x.shape }];
    },
  });
}

function broadcastAll(ctx: InferenceContext): number[] {
  const shapes = ctx.inputs.map((v, i) => (v ?? ctx.input(i)).shape);
  const out = broadcastShapes(...shapes);
  if (out === undefined) ctx.fail(msg.noBroadcast(shapes));
  return out;
}

function sameDType(ctx: InferenceContext): void {
  const d = ctx.input(0).dtype;
  for (let i = 1; i < ctx.inputs.length; i++) {
    if (ctx.input(i).dtype !== d) ctx.fail(msg.inputDtype(i, ctx.input(i).dtype, d));
  }
}

for (const opType of ["Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean"]) {
  registerOp({
    opType,
    attributes: {},
    infer: (ctx): ValueType[] => {
      sameDType(ctx);
      return [{ dtype: ctx.input(0).dtype, shape: broadcastAll(ctx) }];
    },
  });
}

// Pow's exponent may have another type than its base; the result has the base's.
registerOp({ opType: "Pow", attributes: {}, infer: (ctx) => [{ dtype: ctx.input(0).dtype, shape: broadcastAll(ctx) }] });

for (const opType of ["Greater", "Less", "Equal", "GreaterOrEqual", "LessOrEqual", "And", "Or", "Xor"]) {
  registerOp({ opType, attributes: {}, infer: (ctx) => [{ dtype: "bool", shape: broadcastAll(ctx) }] });
}

registerOp({
  opType: "Where",
  attributes: {},
  infer: (ctx) => {
    if (ctx.input(0).dtype !== "bool") ctx.fail(msg.conditionNotBool());
    if (ctx.input(1).dtype !== ctx.input(2).dtype) ctx.fail(msg.branchDtypes());
    return [{ dtype: ctx.input(1).dtype, shape: broadcastAll(ctx) }];
  },
});

// Clip (opset 11+): x, then optional scalar min and max inputs of x's dtype (either may be omitted).
registerOp({
  opType: "Clip",
  attributes: {},
  infer: (ctx) => {
    const x = ctx.input(0);
    if (ctx.inputs.length > 3) ctx.fail(msg.clipInputs(ctx.inputs.length));
    for (const [i, name] of [
      [1, "min"],
      [2, "max"],
    ] as const) {
      const bound = ctx.inputs[i];
      if (bound === undefined) continue;
      if (bound.dtype !== x.dtype) ctx.fail(msg.clipBoundDtype(name, bound.dtype, x.dtype));
      if (bound.shape.reduce((a, b) => a * b, 1) !== 1 || bound.shape.length > 1) ctx.fail(msg.clipBoundShape(name, bound.shape));
    }
    return [{ dtype: x.dtype, shape: x.shape }];
  },
});

// PRelu: the slope broadcasts to x's shape (one way only); the output has x's shape.
registerOp({
  opType: "PRelu",
  attributes: {},
  infer: (ctx) => {
    sameDType(ctx);
    const x = ctx.input(0);
    const out = broadcastShapes(x.shape, ctx.input(1).shape);
    if (out === undefined || out.length !== x.shape.length || out.some((d, i) => d !== x.shape[i])) {
      ctx.fail(msg.slopeShape(ctx.input(1).shape, x.shape));
    }
    return [{ dtype: x.dtype, shape: x.shape }];
  },
});

registerOp({
  opType: "Cast",
  attributes: { to: "dtype", saturate: "int" },
  infer: (ctx) => [{ dtype: ctx.requiredAttr("to"), shape: ctx.input(0).shape }],
});

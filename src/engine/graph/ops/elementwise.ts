/** Element-wise ops: unary ones keep their input's type; binary ones broadcast numpy-style. */
import { registerOp, type AttributeKind, type InferenceContext } from "../op-schema.js";
import { broadcastShapes, formatShape } from "../shape.js";
import type { ValueType } from "../value.js";

const UNARY: Record<string, Record<string, AttributeKind>> = {
  Identity: {}, Neg: {}, Abs: {}, Sqrt: {}, Exp: {}, Log: {}, Reciprocal: {}, Relu: {},
  LeakyRelu: { alpha: "float" }, Sigmoid: {}, Tanh: {}, Erf: {}, Sin: {}, Cos: {}, Floor: {}, Ceil: {},
  Sign: {}, Softplus: {}, Not: {}, Gelu: { approximate: "string" }, IsNaN: {}, IsInf: { detect_negative: "int", detect_positive: "int" },
  HardSigmoid: { alpha: "float", beta: "float" }, Round: {},
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
  if (out === undefined) ctx.fail(`shapes ${shapes.map(formatShape).join(" and ")} do not broadcast`);
  return out!;
}

function sameDType(ctx: InferenceContext): void {
  const d = ctx.input(0).dtype;
  for (let i = 1; i < ctx.inputs.length; i++) {
    if (ctx.input(i).dtype !== d) ctx.fail(`input ${i} is ${ctx.input(i).dtype}, expected ${d} like input 0`);
  }
}

for (const opType of ["Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean"]) {
  registerOp({ opType, attributes: {}, infer: (ctx): ValueType[] => { sameDType(ctx); return [{ dtype: ctx.input(0).dtype, shape: broadcastAll(ctx) }]; } });
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
    if (ctx.input(0).dtype !== "bool") ctx.fail("the condition must be bool");
    if (ctx.input(1).dtype !== ctx.input(2).dtype) ctx.fail("both branches must have the same dtype");
    return [{ dtype: ctx.input(1).dtype, shape: broadcastAll(ctx) }];
  },
});

registerOp({
  opType: "Clip",
  attributes: {},
  infer: (ctx) => [{ dtype: ctx.input(0).dtype, shape: ctx.input(0).shape }],
});

registerOp({
  opType: "Cast",
  attributes: { to: "dtype", saturate: "int" },
  infer: (ctx) => [{ dtype: ctx.requiredAttr("to"), shape: ctx.input(0).shape }],
});

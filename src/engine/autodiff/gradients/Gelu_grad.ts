import { add, erf, exp, mul, scalarLike, scale, shift, sub, tanh } from "../../graph/functional.js";
import type { Value } from "../../graph/value.js";
import type { GradientDefinition } from "../gradient-registry.js";

/** The GELU tanh approximation's cubic coefficient (ONNX Gelu, approximate="tanh"). */
const CUBIC = 0.044715;

/** d/dx of x·Φ(x) = Φ(x) + x·φ(x), with Φ the normal CDF and φ its density. */
function exactSlope(x: Value): Value {
  const cdf = scale(shift(erf(scale(x, Math.SQRT1_2)), 1), 0.5);
  const density = scale(exp(scale(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
  return add(cdf, mul(x, density));
}

/** d/dx of ½x(1 + tanh u), u = k(x + c·x³): ½(1 + t) + ½x(1 − t²)·k(1 + 3c·x²). */
function tanhSlope(x: Value): Value {
  const k = Math.sqrt(2 / Math.PI);
  const x2 = mul(x, x);
  const t = tanh(scale(add(x, scale(mul(x2, x), CUBIC)), k));
  const du = scale(shift(scale(x2, 3 * CUBIC), 1), k);
  const sech2 = sub(scalarLike(t, 1), mul(t, t));
  return add(scale(shift(t, 1), 0.5), mul(scale(x, 0.5), mul(sech2, du)));
}

/** Gelu (default domain, opset 20): closed-form slopes for approximate "none" and "tanh". */
export const geluGrad: GradientDefinition = {
  opType: "Gelu",
  gradient: (ctx) => {
    const x = ctx.input(0);
    const approximate = ctx.attr("approximate", "none");
    return [mul(ctx.dyOrZeros(0), approximate === "tanh" ? tanhSlope(x) : exactSlope(x))];
  },
};

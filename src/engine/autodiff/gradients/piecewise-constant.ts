/**
 * The gradient of ops whose output is piecewise constant in their input (Round, Floor, Ceil, Sign):
 * zero wherever it exists, and taken as zero at the jumps, as PyTorch and TensorFlow do. These are
 * registered on purpose so that models using them (quantisation, rounding a prediction) train; an op
 * that merely lacks a gradient still throws naming it (gradient-registry.ts). For a straight-through
 * estimator instead, replace one: registerGradient({ opType: "Round", gradient: (ctx) => [ctx.dyOrZeros(0)] }, { replace: true }).
 */
import { zeros } from "../../graph/functional.js";
import type { GradientDefinition } from "../gradient-registry.js";

export function zeroGradient(opType: string): GradientDefinition {
  return { opType, gradient: (ctx) => [zeros(ctx.input(0))] };
}

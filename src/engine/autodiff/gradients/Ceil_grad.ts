import { zeroGradient } from "./piecewise-constant.js";

/** Ceil rounds up: its gradient is zero on purpose (piecewise constant; see piecewise-constant.ts). */
export const ceilGrad = zeroGradient("Ceil");

import { zeroGradient } from "./piecewise-constant.js";

/** Sign is −1, 0 or 1: its gradient is zero on purpose (piecewise constant; see piecewise-constant.ts). */
export const signGrad = zeroGradient("Sign");

import { zeroGradient } from "./piecewise-constant.js";

/** Round rounds half to even: its gradient is zero on purpose (piecewise constant; see piecewise-constant.ts). */
export const roundGrad = zeroGradient("Round");

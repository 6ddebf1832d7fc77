import { zeroGradient } from "./piecewise-constant.js";

/** Floor rounds down: its gradient is zero on purpose (piecewise constant; see piecewise-constant.ts). */
export const floorGrad = zeroGradient("Floor");

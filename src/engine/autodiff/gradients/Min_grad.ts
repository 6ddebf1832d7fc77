import type { GradientDefinition } from "../gradient-registry.js";
import { extremumGradient } from "./extremum.js";

/** Ties split dy evenly between the tied inputs (see extremum.ts). */
export const minGrad: GradientDefinition = { opType: "Min", gradient: extremumGradient };

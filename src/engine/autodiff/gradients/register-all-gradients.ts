/** Registers every gradient in this folder. Add one import and one entry per new *_grad.ts file. */
import { registerGradient, type GradientDefinition } from "../gradient-registry.js";
import { addGrad } from "./Add_grad.js";
import { divGrad } from "./Div_grad.js";
import { identityGrad } from "./Identity_grad.js";
import { matMulGrad } from "./MatMul_grad.js";
import { mulGrad } from "./Mul_grad.js";
import { negGrad } from "./Neg_grad.js";
import { reduceMeanGrad } from "./ReduceMean_grad.js";
import { reduceSumGrad } from "./ReduceSum_grad.js";
import { reluGrad } from "./Relu_grad.js";
import { reshapeGrad } from "./Reshape_grad.js";
import { subGrad } from "./Sub_grad.js";
import { sumGrad } from "./Sum_grad.js";

const all: GradientDefinition[] = [
  addGrad, divGrad, identityGrad, matMulGrad, mulGrad, negGrad, reduceMeanGrad, reduceSumGrad,
  reluGrad, reshapeGrad, subGrad, sumGrad,
];

for (const def of all) registerGradient(def);

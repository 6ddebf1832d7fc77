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
// Part A: element-wise, activations, softmax/losses, shape ops.
import { absGrad } from "./Abs_grad.js";
import { castGrad } from "./Cast_grad.js";
import { concatGrad } from "./Concat_grad.js";
import { dropoutGrad } from "./Dropout_grad.js";
import { erfGrad } from "./Erf_grad.js";
import { expGrad } from "./Exp_grad.js";
import { expandGrad } from "./Expand_grad.js";
import { flattenGrad } from "./Flatten_grad.js";
import { gatherGrad } from "./Gather_grad.js";
import { geluGrad } from "./Gelu_grad.js";
import { leakyReluGrad } from "./LeakyRelu_grad.js";
import { logGrad } from "./Log_grad.js";
import { logSoftmaxGrad } from "./LogSoftmax_grad.js";
import { maxGrad } from "./Max_grad.js";
import { minGrad } from "./Min_grad.js";
import { powGrad } from "./Pow_grad.js";
import { reciprocalGrad } from "./Reciprocal_grad.js";
import { reduceMaxGrad } from "./ReduceMax_grad.js";
import { sigmoidGrad } from "./Sigmoid_grad.js";
import { sliceGrad } from "./Slice_grad.js";
import { softmaxGrad } from "./Softmax_grad.js";
import { softmaxCrossEntropyLossGrad } from "./SoftmaxCrossEntropyLoss_grad.js";
import { splitGrad } from "./Split_grad.js";
import { sqrtGrad } from "./Sqrt_grad.js";
import { squeezeGrad } from "./Squeeze_grad.js";
import { tanhGrad } from "./Tanh_grad.js";
import { tileGrad } from "./Tile_grad.js";
import { transposeGrad } from "./Transpose_grad.js";
import { unsqueezeGrad } from "./Unsqueeze_grad.js";
import { whereGrad } from "./Where_grad.js";
// Part B: convolution, pooling, resizing, normalisation, Gemm, Pad.
import { convGrad } from "./Conv_grad.js";
import { convTransposeGrad } from "./ConvTranspose_grad.js";
import { averagePoolGrad } from "./AveragePool_grad.js";
import { globalAveragePoolGrad } from "./GlobalAveragePool_grad.js";
import { maxPoolGrad } from "./MaxPool_grad.js";
import { resizeGrad } from "./Resize_grad.js";
import { groupNormalizationGrad } from "./GroupNormalization_grad.js";
import { instanceNormalizationGrad } from "./InstanceNormalization_grad.js";
import { layerNormalizationGrad } from "./LayerNormalization_grad.js";
import { gemmGrad } from "./Gemm_grad.js";
import { padGrad } from "./Pad_grad.js";
// Part C: trigonometric and hyperbolic functions, more activations, Clip, and the piecewise-constant
// ops whose gradient is zero on purpose (piecewise-constant.ts).
import { sinGrad } from "./Sin_grad.js";
import { cosGrad } from "./Cos_grad.js";
import { tanGrad } from "./Tan_grad.js";
import { asinGrad } from "./Asin_grad.js";
import { acosGrad } from "./Acos_grad.js";
import { atanGrad } from "./Atan_grad.js";
import { sinhGrad } from "./Sinh_grad.js";
import { coshGrad } from "./Cosh_grad.js";
import { asinhGrad } from "./Asinh_grad.js";
import { acoshGrad } from "./Acosh_grad.js";
import { atanhGrad } from "./Atanh_grad.js";
import { softplusGrad } from "./Softplus_grad.js";
import { softsignGrad } from "./Softsign_grad.js";
import { eluGrad } from "./Elu_grad.js";
import { seluGrad } from "./Selu_grad.js";
import { celuGrad } from "./Celu_grad.js";
import { hardSigmoidGrad } from "./HardSigmoid_grad.js";
import { hardSwishGrad } from "./HardSwish_grad.js";
import { mishGrad } from "./Mish_grad.js";
import { thresholdedReluGrad } from "./ThresholdedRelu_grad.js";
import { preluGrad } from "./PRelu_grad.js";
import { clipGrad } from "./Clip_grad.js";
import { roundGrad } from "./Round_grad.js";
import { floorGrad } from "./Floor_grad.js";
import { ceilGrad } from "./Ceil_grad.js";
import { signGrad } from "./Sign_grad.js";

const all: GradientDefinition[] = [
  addGrad,
  divGrad,
  identityGrad,
  matMulGrad,
  mulGrad,
  negGrad,
  reduceMeanGrad,
  reduceSumGrad,
  reluGrad,
  reshapeGrad,
  subGrad,
  sumGrad,
  // Part A
  absGrad,
  castGrad,
  concatGrad,
  dropoutGrad,
  erfGrad,
  expGrad,
  expandGrad,
  flattenGrad,
  gatherGrad,
  geluGrad,
  leakyReluGrad,
  logGrad,
  logSoftmaxGrad,
  maxGrad,
  minGrad,
  powGrad,
  reciprocalGrad,
  reduceMaxGrad,
  sigmoidGrad,
  sliceGrad,
  softmaxGrad,
  softmaxCrossEntropyLossGrad,
  splitGrad,
  sqrtGrad,
  squeezeGrad,
  tanhGrad,
  tileGrad,
  transposeGrad,
  unsqueezeGrad,
  whereGrad,
  // Part B
  convGrad,
  convTransposeGrad,
  averagePoolGrad,
  globalAveragePoolGrad,
  maxPoolGrad,
  resizeGrad,
  groupNormalizationGrad,
  instanceNormalizationGrad,
  layerNormalizationGrad,
  gemmGrad,
  padGrad,
  // Part C
  sinGrad,
  cosGrad,
  tanGrad,
  asinGrad,
  acosGrad,
  atanGrad,
  sinhGrad,
  coshGrad,
  asinhGrad,
  acoshGrad,
  atanhGrad,
  softplusGrad,
  softsignGrad,
  eluGrad,
  seluGrad,
  celuGrad,
  hardSigmoidGrad,
  hardSwishGrad,
  mishGrad,
  thresholdedReluGrad,
  preluGrad,
  clipGrad,
  roundGrad,
  floorGrad,
  ceilGrad,
  signGrad,
];

for (const def of all) registerGradient(def);

/**
 * `nbresume/nn`: everything a user needs to write a model of their own in a notebook cell — the
 * parameter scope, the functional ops the autodiff differentiates, the layers, the initializers,
 * and the gradient registry for ops it does not know yet.
 *
 *   import { defineModel, linear, relu, crossEntropy } from "nbresume/nn";
 */
export type { ParameterScope, ParameterSpec, ParameterOptions } from "./engine/nn/parameter-scope.js";
export type { Initializer } from "./engine/nn/initializer.js";
export type { Shape, Value } from "./engine/graph/value.js";
export type { InputSpec, InputSpecs, InputValues, Feeds, LossGraph, ModelGraph, Model } from "./engine/nn/model.js";
export * from "./engine/graph/functional.js";
export * from "./engine/nn/initializers.js";
export { linear, type LinearOptions } from "./engine/layers/linear.js";
export { conv2d, type Conv2dOptions } from "./engine/layers/conv2d.js";
export { embedding, type EmbeddingOptions } from "./engine/layers/embedding.js";
export { layerNorm as layerNormLayer, type LayerNormOptions } from "./engine/layers/layer-norm.js";
export { groupNorm as groupNormLayer, type GroupNormOptions } from "./engine/layers/group-norm.js";
export { residualBlock, type ResidualBlockOptions } from "./engine/layers/residual-block.js";

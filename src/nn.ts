/**
 * `nbresume/nn`: everything a user needs to write a model of their own in a notebook cell — one
 * way to declare it (defineModel), the parameter scope, every op the autodiff differentiates as a
 * function, the layers, initializers, losses, the previews a model can declare, and the registries
 * for an op or gradient the engine does not know yet (with the finite-difference check to test it).
 *
 *   import { defineModel, linear, relu, crossEntropy, accuracy, decisionBoundaryPreview } from "nbresume/nn";
 *
 * A model defined here gets what the built-in ones get: checked gradients, exact resume (its
 * randomness comes from scope.random, drawn from the run's generator), a config and graph
 * fingerprint, ONNX export, previews drawn without its code.
 */
// The built-in ops and gradients, registered before any of the user's own (registerOp, registerGradient below).
import "./engine/register-builtins.js";

// Declaring a model.
export { defineModel, type ModelDeclaration, type GraphDeclaration, type ExampleSpec, type InputsDeclaration } from "./engine/nn/define-model.js";
export { columnFeeds } from "./engine/nn/column-feeds.js";
export type { ParameterScope, ParameterSpec, ParameterOptions } from "./engine/nn/parameter-scope.js";
export type { Initializer } from "./engine/nn/initializer.js";
export type { Shape, Value } from "./engine/graph/value.js";
export type { InputSpec, InputSpecs, InputValues, Feeds, LossGraph, ModelGraph, Model } from "./engine/nn/model.js";
export type { JsonObject, JsonValue } from "./engine/nn/json.js";
export { bernoulli, normalNoise, uniformNoise, type RandomDistribution, type RandomInputSpec } from "./engine/nn/random-input.js";

// Ops (every one has a gradient unless its doc says otherwise) and losses.
export * from "./engine/graph/functional.js";
export { crossEntropy, accuracy, l1Loss, binaryCrossEntropyWithLogits } from "./engine/nn/losses.js";

// Initializers (zeros as zerosInit: `zeros` is the op above).
export { zeros as zerosInit, ones, constant, normal, uniform, kaimingUniform, kaimingNormal, torchDefault, xavierUniform } from "./engine/nn/initializers.js";

// Layers.
export { linear, type LinearOptions } from "./engine/layers/linear.js";
export { conv2d, type Conv2dOptions } from "./engine/layers/conv2d.js";
export { embedding, type EmbeddingOptions } from "./engine/layers/embedding.js";
export { layerNorm as layerNormLayer, type LayerNormOptions } from "./engine/layers/layer-norm.js";
export { groupNorm as groupNormLayer, type GroupNormOptions } from "./engine/layers/group-norm.js";
export { residualBlock, type ResidualBlockOptions } from "./engine/layers/residual-block.js";
export { dropout } from "./engine/layers/dropout.js";
export { multiHeadSelfAttention, causalMask, type MultiHeadSelfAttentionOptions } from "./engine/layers/attention.js";
export { feedForward, type FeedForwardOptions } from "./engine/layers/feed-forward.js";
export { tokenPositionEmbedding, type TokenPositionEmbeddingOptions } from "./engine/layers/token-position-embedding.js";
export { transformerBlock, type TransformerBlockOptions } from "./engine/layers/transformer-block.js";
export { causalLanguageModel, type CausalLanguageModelOptions } from "./engine/layers/causal-language-model.js";
export { sinusoidalEmbedding, timestepEmbedding } from "./engine/layers/timestep-embedding.js";

// Previews a model declares (data: the run stores them and draws them without the model's code).
export {
  samplesPreview,
  predictionsPreview,
  textPreview,
  regressionPreview,
  decisionBoundaryPreview,
  audioPreview,
  customPreview,
} from "./run/previews/builders.js";
export type { PreviewSpec, PreviewContext, CustomPreviewResult, CustomPreviewFn } from "./engine/nn/preview-spec.js";

// Ops and gradients the engine does not know yet: register them, then check them.
export {
  registerGradient,
  unregisterGradient,
  getGradient,
  registeredGradients,
  type GradientContext,
  type GradientFn,
  type GradientDefinition,
  type RegisterGradientOptions,
} from "./engine/autodiff/gradient-registry.js";
export {
  registerOp,
  unregisterOp,
  registeredOps,
  type OpSchema,
  type InferenceContext,
  type AttributeKind,
  type RegisterOpOptions,
} from "./engine/graph/op-schema.js";
export { defineCompositeGradient, type CompositeGradient } from "./engine/autodiff/composite-gradient.js";
export {
  checkGradients,
  GradientCheckError,
  type GradientCheck,
  type CheckedInput,
  type GradientCheckResult,
  type GradientCheckElement,
} from "./engine/autodiff/gradient-check.js";
export { gradients } from "./engine/autodiff/gradients.js";
export { GraphBuilder } from "./engine/graph/graph-builder.js";

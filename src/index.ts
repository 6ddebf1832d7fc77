/**
 * `nbresume`: runs, the checkpoint store, data, built-in models, optimizers and previews. Importing
 * it registers the engine's built-in ops and gradients first (engine/register-builtins.ts).
 */
import "./engine/register-builtins.js";
export * from "./tensor.js";
export * from "./errors.js";
export * from "./checkpoint/index.js";
export * from "./notebook/index.js";
export * from "./run/index.js";
export * from "./render/index.js";
// The engine's user-facing pieces: data, models, samplers, optimizers, schedules, randomness, sessions.
export {
  loadMnist,
  loadMnist as mnist,
  DataLoader,
  fromArrays,
  fromCsv,
  fromJsonl,
  fromNpy,
  fromNpz,
  fromSafetensors,
  fromTextCorpus,
  textTokenizer,
  splitDataset,
  subset,
  datasetRecord,
  DataErrorCode,
  COLUMN_DTYPES,
  type Batch,
  type Column,
  type ColumnDType,
  type Columns,
  type Dataset,
  type DatasetRows,
  type DatasetSplit,
  type TrainValidationSplit,
  type DataLoaderCursor,
  type DataLoaderOptions,
  type LoadMnistOptions,
  type ArrayColumnInput,
  type CsvColumn,
  type FromCsvOptions,
  type FromJsonlOptions,
  type JsonlColumn,
  type FromNpyOptions,
  type FromNpzOptions,
  type FromSafetensorsOptions,
  type FromTextCorpusOptions,
  type TextSource,
  type TextTokenizer,
  type TokenizerKind,
  type SplitOptions,
} from "./engine/data/index.js";
// Models of your own: "nbresume/nn" has the whole model-building API; the declaration is here too.
export { defineModel, type ModelDeclaration, type GraphDeclaration, type ExampleSpec } from "./engine/nn/define-model.js";
export {
  samplesPreview,
  predictionsPreview,
  textPreview,
  regressionPreview,
  decisionBoundaryPreview,
  audioPreview,
  customPreview,
} from "./run/previews/builders.js";
export {
  registerPreviewKind,
  registeredPreviewKinds,
  type PreviewKind,
  type PreparedPreview,
  type PreviewComputeContext,
  type PreviewResult,
  type PreviewOverrides,
  type PreviewGraphNeed,
} from "./run/previews/preview-kind.js";
export type { PreviewSpec, PreviewContext, CustomPreviewResult } from "./engine/nn/preview-spec.js";
export { buildModelGraph, type ModelGraphRecord } from "./engine/model-graph.js";
export { bakeParameters, describeOnnxModel, OnnxModelError, type OnnxModelInfo, type OnnxValueInfo } from "./engine/graph/onnx-model.js";
export { mlpClassifier, type MlpClassifierConfig } from "./engine/models/mlp-classifier.js";
export { ddpm, type DdpmConfig, type DdpmModel, type DiffusionBatch, type DiffusionSpec } from "./engine/diffusion/ddpm-model.js";
export { sampleDdim, ddimTimesteps, type DdimOptions } from "./engine/diffusion/ddim-sampler.js";
export { sampleDdpm } from "./engine/diffusion/ddpm-sampler.js";
export { UNET_PRESETS, type UNetConfig, type UNetPreset } from "./engine/models/unet.js";
export { adam, type AdamOptions } from "./engine/optim/adam.js";
export { adamw } from "./engine/optim/adamw.js";
export { sgd, type SgdOptions } from "./engine/optim/sgd.js";
export { constantLr, linearWarmup, cosineWithWarmup, type CosineOptions } from "./engine/optim/schedules.js";
export type { Optimizer } from "./engine/optim/optimizer.js";
export type { Schedule } from "./engine/optim/schedule.js";
export { createGenerator, generatorFromState, type Generator, type GeneratorState, type Seed } from "./engine/random/index.js";
export { createTrainingSession } from "./engine/session/onnx-training-session.js";
export type { StateDict, StepResult, TrainingSession, TrainingSessionOptions } from "./engine/session/training-session.js";
export type { Model } from "./engine/nn/model.js";
export { exportOnnx, type ExportOptions } from "./engine/export.js";
// The engine's error codes (NbresumeError.code), as every layer exports its own.
export { EngineErrorCode, type EngineErrorCodeValue } from "./engine/messages.js";
export { ModelErrorCode } from "./engine/models/messages.js";
export { RandomErrorCode } from "./engine/random/index.js";

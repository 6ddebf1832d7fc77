/**
 * The engine's error codes, and the messages of the files at the engine's root (export.ts,
 * model-graph.ts). Each engine folder keeps its own catalog beside its code (graph/messages.ts,
 * session/messages.ts, …); tests assert against the same functions, so wording changes in one place.
 */

/** NbresumeError codes of the engine's runtime, training session and export. */
export const EngineErrorCode = {
  /** onnxruntime could not create a session for a graph (an op or type it has no kernel for). */
  COMPILE_FAILED: "ENGINE_COMPILE_FAILED",
  /** onnxruntime failed while running a compiled graph. */
  RUN_FAILED: "ENGINE_RUN_FAILED",
  /** A graph output has a dtype nbresume does not handle. */
  OUTPUT_DTYPE: "ENGINE_OUTPUT_DTYPE",
  /** A training step's loss was NaN or infinite (the parameters were not updated). */
  NONFINITE_LOSS: "ENGINE_NONFINITE_LOSS",
  /** A training step's gradient norm was NaN or infinite (the parameters were not updated). */
  NONFINITE_GRADIENT: "ENGINE_NONFINITE_GRADIENT",
  /** A session state (from a checkpoint) is malformed. */
  STATE_INVALID: "ENGINE_STATE_INVALID",
  /** A state dict's tensors do not match the model's (missing, extra, or another dtype or shape). */
  STATE_MISMATCH: "ENGINE_STATE_MISMATCH",
  /**
   * A dataset column does not fit the model input of its name (column-feeds.ts): no column of that
   * name, another shape, a dtype that does not convert without loss, or a value beyond int32; or a
   * built-in model's feeds() do not find the column they read (mlpClassifier).
   */
  MODEL_DATA_MISMATCH: "ENGINE_MODEL_DATA_MISMATCH",
  /** The exported ONNX file could not be written. */
  EXPORT_WRITE_FAILED: "EXPORT_WRITE_FAILED",
} as const;

export type EngineErrorCodeValue = (typeof EngineErrorCode)[keyof typeof EngineErrorCode];

export const engineMessages = {
  badExportBatchSize(got: unknown): string {
    return `export: batchSize must be a positive integer, got ${String(got)}.`;
  },
  exportWriteFailed(path: string, reason: string): string {
    return `Could not write the exported model to ${path}: ${reason}. Check that the directory exists and is writable.`;
  },
  badGraphBatchSize(got: number): string {
    return `buildModelGraph: batchSize must be a positive integer, got ${got}.`;
  },
};

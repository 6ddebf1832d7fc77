/**
 * The run's public surface: resumable() and what it takes and returns, the outputs it can show
 * itself through, the run's record on disk (metrics.jsonl, loss.png, summary.json), the checkpoint
 * tables and roll-back for notebooks, and the formatting helpers.
 */
export { resumable } from "./resumable.js";
export type {
  CheckpointEvery,
  CheckpointRecord,
  EarlyStoppingOptions,
  GridStats,
  InitFrom,
  LoadParts,
  MetricBound,
  OutputKind,
  PreviewOptions,
  ResumableOptions,
  ResumeFrom,
  Run,
  RunData,
  RunStopReason,
  RunStoreOptions,
  SaveStats,
  TrainOptions,
  TrainResult,
  TrainStatus,
  TrainTimings,
  ValidateAction,
} from "./run.js";
export { METRICS_FILE, parseMetrics, readMetricsLog, type MetricsLine, type ParsedMetrics } from "./metrics-log.js";
export { LOSS_CHART_FILE, SUMMARY_FILE, type RunSummary } from "./run-record.js";
export { LOSS_SMOOTHING } from "./smoothed-loss.js";
export { CELL_SYMBOL } from "./notebook-origin.js";
export type { ProgressView, RunOutput } from "./run-output.js";
export { NotebookOutput, type NotebookOutputOptions } from "./notebook-output.js";
export { TerminalOutput, type TerminalOutputOptions } from "./terminal-output.js";
export { RunErrorCode, type RunErrorCodeValue } from "./messages.js";
export { tableBundle, type Table, type TableBundle } from "./table.js";
export { listRunPictures, type RunPicture } from "./run-files.js";
export { ProgressTracker, type ProgressOptions, type ProgressSnapshot } from "./progress.js";
export { formatProgressLine, progressBundle, type ProgressContext } from "./progress-format.js";
export { formatBytes, formatCount, formatDuration, formatLoss, formatRate } from "../shared/format.js";
export { show } from "./show.js";
export { rollBack, type RollBackOptions, type RollBackResult } from "./roll-back.js";
export { checkpointsTable, configDiffTable, diskUsageTable, inspectTable, pruneTable, verifyTable } from "./checkpoint-tables.js";
export { releaseCachedSession } from "./session-cache.js";

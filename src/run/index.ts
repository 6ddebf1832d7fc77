/**
 * The run's public surface: resumable() and what it takes and returns, the outputs it can show
 * itself through, the checkpoint tables and roll-back for notebooks, and the formatting helpers.
 */
export { resumable } from "./resumable.js";
export type {
  CheckpointRecord, GridStats, OutputKind, PreviewOptions, ResumableOptions, Run, RunData, RunStopReason, RunStoreOptions, SaveStats, TrainOptions, TrainResult,
  TrainStatus, TrainTimings,
} from "./run.js";
export type { ProgressView, RunOutput } from "./run-output.js";
export { NotebookOutput, type NotebookOutputOptions } from "./notebook-output.js";
export { TerminalOutput, type TerminalOutputOptions } from "./terminal-output.js";
export { RunErrorCode, type RunErrorCodeValue } from "./messages.js";
export { tableBundle, type Table, type TableBundle } from "./table.js";
export { listRunPictures, type RunPicture } from "./run-files.js";
export { ProgressTracker, type ProgressOptions, type ProgressSnapshot } from "./progress.js";
export { formatProgressLine, progressBundle, type ProgressContext } from "./progress-format.js";
export { formatBytes, formatCount, formatDuration, formatLoss, formatRate } from "./format.js";
export { show } from "./show.js";
export { rollBack, type RollBackOptions, type RollBackResult } from "./roll-back.js";
export { checkpointsTable, configDiffTable, diskUsageTable, inspectTable, pruneTable, verifyTable } from "./checkpoint-tables.js";
export { releaseCachedSession } from "./session-cache.js";

/**
 * Questions about the run a checkpoint belongs to, answered from its state.json: the command line
 * that continues it (state.command, quoted for a POSIX shell) and how its config differs from a
 * given one. The store reads and verifies the state (readState); the run's fields are read as
 * every reader reads them (recorded-run.ts).
 */
import { diffConfigs } from "../shared/config-diff.js";
import { readRecordedRun } from "./recorded-run.js";
import { quoteCommand } from "./shell-quote.js";
import type { CheckpointStateRecord, ConfigDiff, ResumeInfo } from "./store.js";

export function resumeInfo(record: CheckpointStateRecord): ResumeInfo {
  const { command: recorded, config } = readRecordedRun(record.state);
  const argv = recorded === undefined || typeof recorded === "string" ? undefined : [...recorded];
  const command = argv ? quoteCommand(argv) : typeof recorded === "string" ? recorded : undefined;
  return { checkpoint: record.path, step: record.step, argv, command, config };
}

/** What changed from the checkpoint's state.config to `config`. */
export function configDiff(record: CheckpointStateRecord, config: unknown): ConfigDiff {
  return diffConfigs(readRecordedRun(record.state).config, config);
}

/**
 * Questions about the run a checkpoint belongs to, answered from its state.json: the command line
 * that continues it (state.command, quoted for a POSIX shell) and its config. The store reads and
 * verifies the state (readState); what the run recorded there is the run's to interpret.
 */
import { ownValue } from "./manifest.js";
import { quoteCommand } from "./shell-quote.js";
import type { CheckpointStateRecord, ResumeInfo } from "./store.js";

export function resumeInfo(record: CheckpointStateRecord): ResumeInfo {
  const raw = ownValue(record.state, "command");
  const argv = Array.isArray(raw) && raw.every((a) => typeof a === "string") ? (raw as string[]) : undefined;
  const command = argv ? quoteCommand(argv) : typeof raw === "string" ? raw : undefined;
  return { checkpoint: record.path, step: record.step, argv, command, config: ownValue(record.state, "config") };
}

/** Every CLI command, in the order `nbresume --help` lists them (one import + one entry per command). */
import type { Command } from "../command.js";
import { diffCommand } from "./diff.js";
import { duCommand } from "./du.js";
import { exportCommand } from "./export.js";
import { inspectCommand } from "./inspect.js";
import { kernelCommand } from "./kernel.js";
import { listCommand } from "./list.js";
import { logCommand } from "./log.js";
import { pruneCommand } from "./prune.js";
import { resumeCommandCommand } from "./resume-command.js";
import { rollbackCommand } from "./rollback.js";
import { runCommand } from "./run.js";
import { verifyCommand } from "./verify.js";

export const ALL_COMMANDS: readonly Command[] = [
  listCommand,
  verifyCommand,
  inspectCommand,
  pruneCommand,
  diffCommand,
  resumeCommandCommand,
  rollbackCommand,
  logCommand,
  duCommand,
  exportCommand,
  kernelCommand,
  runCommand,
];

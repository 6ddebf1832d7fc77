/**
 * The store's errors for failures while opening, saving and reading: what failed where, why, and
 * what to do, with the original as `cause`. Bad arguments and our own errors pass through as they are.
 */
import { NbresumeError, isNbresumeError } from "../errors.js";
import { errnoCode } from "./durable-fs.js";
import { CheckpointErrorCode, checkpointMessages as messages, summarizeProblems } from "./messages.js";
import { joinLocation } from "./storage/location.js";
import type { CheckpointProblem } from "./store.js";

/** A failure while writing, as the store's error; `shown` names the file relative to the store. */
export function saveError(error: unknown, dir: string, what: string, file: string, shown: string, cleaned: boolean): unknown {
  if (error instanceof TypeError || error instanceof RangeError || isNbresumeError(error)) return error;
  const code = errnoCode(error);
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new NbresumeError(CheckpointErrorCode.DISK_FULL, messages.diskFullDuringWrite(dir, what, shown), { where: file, cause: error });
  }
  const detail = code ?? (error instanceof Error ? error.message : String(error));
  return new NbresumeError(CheckpointErrorCode.WRITE_FAILED, messages.writeFailed(dir, what, shown, detail, cleaned), { where: file, cause: error });
}

/**
 * A failure while opening for writing, as the store's error: what failed on which path, why, and
 * what to do (a read-only directory can still be opened with { readOnly: true }).
 */
export function openError(error: unknown, dir: string, what: string, file: string): unknown {
  if (error instanceof TypeError || error instanceof RangeError || isNbresumeError(error)) return error;
  const code = errnoCode(error);
  if (code === "EROFS" || code === "EACCES" || code === "EPERM") {
    return new NbresumeError(CheckpointErrorCode.DIR_NOT_WRITABLE, messages.notWritable(dir, what, file, code), { where: file, cause: error });
  }
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new NbresumeError(CheckpointErrorCode.DISK_FULL, messages.diskFullAtOpen(dir, file), { where: file, cause: error });
  }
  const detail = code ?? (error instanceof Error ? error.message : String(error));
  return new NbresumeError(CheckpointErrorCode.WRITE_FAILED, messages.openFailed(dir, what, file, detail), { where: file, cause: error });
}

/** The cause of a load refused before allocating: not damage, so no deep check is needed to say why. */
export class RefusedBeforeAllocating extends Error {
  constructor(readonly problems: CheckpointProblem[]) {
    super(summarizeProblems(problems));
  }
}

export function refused(where: string, problems: CheckpointProblem[]): NbresumeError {
  return corrupt(where, problems, new RefusedBeforeAllocating(problems));
}

export function corrupt(where: string, problems: CheckpointProblem[], cause?: unknown): NbresumeError {
  return new NbresumeError(CheckpointErrorCode.CORRUPT, messages.corrupt(where, problems), {
    where: problems[0] ? joinLocation(where, problems[0].file) : where,
    ...(cause === undefined ? {} : { cause }),
  });
}

export function notFound(ref: string, dir: string, detail: string, where = dir): NbresumeError {
  return new NbresumeError(CheckpointErrorCode.NOT_FOUND, messages.notFound(ref, dir, detail), { where });
}

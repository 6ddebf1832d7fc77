/**
 * Names on disk. A committed checkpoint is a directory `ckpt-step-<8+ digit step>-<kind>`;
 * everything starting with ".tmp-" is an uncommitted write; `latest` names a committed
 * checkpoint; `.lock/` holds the writer lock.
 */

/** The kinds of checkpoint, in listing order: the one spelling the type, the names and the messages derive from. */
export const CHECKPOINT_KINDS = ["rolling", "emergency", "epoch", "final"] as const;
export type CheckpointKind = (typeof CHECKPOINT_KINDS)[number];

export const MANIFEST_FILE = "manifest.json";
export const STATE_FILE = "state.json";
export const LATEST_FILE = "latest";
export const LOCK_DIR = ".lock";
export const TEMP_PREFIX = ".tmp-";
export const SAFETENSORS_SUFFIX = ".safetensors";

const STEP_DIGITS = 8;
const CHECKPOINT_NAME = new RegExp(`^ckpt-step-(\\d{${STEP_DIGITS},})-(${CHECKPOINT_KINDS.join("|")})$`);
/** Tensor group names become file names: keep them portable and unambiguous. */
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function isCheckpointKind(value: unknown): value is CheckpointKind {
  return typeof value === "string" && (CHECKPOINT_KINDS as readonly string[]).includes(value);
}

export function checkpointDirName(step: number, kind: CheckpointKind): string {
  return `ckpt-step-${String(step).padStart(STEP_DIGITS, "0")}-${kind}`;
}

/** The step and kind a directory name carries, or undefined if it is not a checkpoint name. */
export function parseCheckpointDirName(name: string): { step: number; kind: CheckpointKind } | undefined {
  const match = CHECKPOINT_NAME.exec(name);
  if (!match) return undefined;
  const digits = match[1] as string;
  const step = Number(digits);
  // Only the canonical spelling counts, so one step+kind has exactly one possible name.
  if (!Number.isSafeInteger(step) || String(step).padStart(STEP_DIGITS, "0") !== digits) return undefined;
  return { step, kind: match[2] as CheckpointKind };
}

export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}

export function isValidGroupName(name: string): boolean {
  return GROUP_NAME.test(name) && !name.endsWith(".");
}

export function groupFileName(group: string): string {
  return `${group}${SAFETENSORS_SUFFIX}`;
}

/** The group a data file holds, or undefined if the file name is not `<group>.safetensors`. */
export function groupOfFile(file: string): string | undefined {
  if (!file.endsWith(SAFETENSORS_SUFFIX)) return undefined;
  const group = file.slice(0, -SAFETENSORS_SUFFIX.length);
  return isValidGroupName(group) ? group : undefined;
}

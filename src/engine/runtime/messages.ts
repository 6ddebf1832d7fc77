/** User-facing messages of the onnxruntime seam (tests assert against these functions). */

export const runtimeMessages = {
  compileFailed(detail: string): string {
    return `onnxruntime could not compile the graph: ${detail}`;
  },
  runFailed(detail: string): string {
    return `onnxruntime failed to run the graph: ${detail}`;
  },
  outputDtype(name: string, dtype: string): string {
    return `Output '${name}' has dtype ${dtype}, which nbresume does not handle.`;
  },
};

/**
 * Every user-facing message of the kernel layer (installing the kernelspec, the kernel process),
 * and its error codes. Tests assert against these same functions.
 */

export const KernelErrorCode = {
  /** tslab cannot be resolved from the nbresume package. */
  TSLAB_MISSING: "KERNEL_TSLAB_MISSING",
  /** The kernel entry (dist/kernel/main.js) is not there: a source checkout that was not built. */
  NOT_BUILT: "KERNEL_NOT_BUILT",
  /** A kernels/nbresume directory holds a kernelspec that nbresume did not write. */
  NOT_OURS: "KERNEL_NOT_OURS",
  /** The kernel process was started with a command line it does not understand. */
  BAD_ARGV: "KERNEL_BAD_ARGV",
} as const;

export const kernelMessages = {
  tslabMissing(packageRoot: string, detail: string): string {
    return (
      `cannot find tslab from ${packageRoot} (${detail}); the kernel runs tslab, a dependency of nbresume: ` +
      "run `npm install` in your project, then install the kernel again."
    );
  },
  notBuilt(entry: string): string {
    return `the kernel's entry ${entry} does not exist: in a source checkout run \`npm run build\` first.`;
  },
  notOurs(file: string): string {
    return (
      `${file} is a kernelspec nbresume did not write (no nbresume entry in its argv or metadata); ` +
      "left as is. Remove it yourself (`jupyter kernelspec remove nbresume`) if you mean to replace it."
    );
  },
  kernelUsage(given: string): string {
    return (
      `nbresume kernel: ${given}. Jupyter starts it as: node dist/kernel/main.js --tslab TSLAB_DIR --config-path CONNECTION_FILE ` +
      "(written by `nbresume kernel install`; run that again to repair the kernelspec)."
    );
  },
  /** What an interrupted cell prints (instead of tslab's stack trace), on stderr. */
  interruptedCell(): string {
    return "Interrupted (■): this cell stopped, and the cells after it will not run.";
  },
};

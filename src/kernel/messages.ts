/**
 * Every user-facing message of the kernel layer (installing the kernelspec, the kernel process),
 * and its error codes. Tests assert against these same functions.
 */
import { KERNEL_NAME } from "./kernel-names.js";

export const KernelErrorCode = {
  /** tslab cannot be resolved from the nbresume package. */
  TSLAB_MISSING: "KERNEL_TSLAB_MISSING",
  /** The kernel entry (dist/kernel/main.js) is not there: a source checkout that was not built. */
  NOT_BUILT: "KERNEL_NOT_BUILT",
  /** A kernels/nbresume directory holds a kernelspec that nbresume did not write. */
  NOT_OURS: "KERNEL_NOT_OURS",
  /** The kernel process was started with a command line it does not understand. */
  BAD_ARGV: "KERNEL_BAD_ARGV",
  /** The kernel name is taken by another project's nbresume kernel, which must not be repointed silently. */
  NAME_TAKEN: "KERNEL_NAME_TAKEN",
} as const;

/** The command that (re)installs kernel `name` from the current project. */
function installCommand(name: string): string {
  return name === KERNEL_NAME ? "npx nbresume kernel install" : `npx nbresume kernel install --name ${name}`;
}

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
  notOurs(file: string, name: string): string {
    return (
      `${file} is a kernelspec nbresume did not write (no nbresume entry in its argv or metadata); left as is. ` +
      `Install nbresume's beside it with another --name, replace it with \`nbresume kernel install --force\`, ` +
      `or remove it yourself (\`jupyter kernelspec remove ${name}\`).`
    );
  },
  nameTaken(name: string, file: string, theirs: string, ours: string, suggested: string): string {
    return (
      `the kernel '${name}' (${file}) runs the project in ${theirs}, not this one (${ours}); ` +
      "replacing it would make that project's notebooks run this project's nbresume and tslab. " +
      `Add \`--name ${suggested}\` to install this project's kernel beside it (then choose it in your notebooks), ` +
      "or `--force` to replace it."
    );
  },
  replaced(name: string, theirs: string, why: "gone" | "forced"): string {
    return `note: the kernel '${name}' ran the project in ${theirs}${why === "gone" ? ", which no longer exists" : " (--force)"}; it now runs this one.`;
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

  // ── `nbresume kernel` (src/cli/commands/kernel.ts) ──────────────────────────────────────────
  /** `didYouMean`: the CLI's " Did you mean 'install'?" (empty when nothing is close). */
  unknownAction(action: string, didYouMean: string): string {
    return `unknown kernel action '${action}'.${didYouMean} Use install, uninstall or status.`;
  },
  badName(name: string): string {
    return `'${name}' is not a kernel name Jupyter accepts: use lowercase letters, digits, '.', '_' and '-' ` + `(e.g. ${KERNEL_NAME}-my-project).`;
  },
  installOnly(option: string): string {
    return `--${option} applies to 'kernel install' only.`;
  },
  installed(name: string, displayName: string, file: string): string {
    return `Installed the kernel '${name}' ("${displayName}"): ${file}`;
  },
  notInstalled(name: string, dirs: readonly string[]): string {
    return `The nbresume kernel '${name}' is not installed (looked in ${dirs.join(", ")}). Install it with \`${installCommand(name)}\`.`;
  },
  otherProject(theirs: string, suggested: string): string {
    return (
      `note: it runs the project in ${theirs}, not this one; ` + `install this project's beside it with \`npx nbresume kernel install --name ${suggested}\`.`
    );
  },
  otherPackage(root: string, name: string): string {
    return `note: it runs the nbresume in ${root}, not this one; run \`${installCommand(name)}\` here to use this one.`;
  },
  problem(problem: string, name: string): string {
    return `problem: ${problem}; run \`${installCommand(name)}\` again to repair it.`;
  },
};

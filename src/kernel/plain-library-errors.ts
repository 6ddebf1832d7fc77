/**
 * An error nbresume throws in a cell prints as what it says, not as a stack of internals.
 *
 * tslab prints a failing cell's error with console.error(e) (upstream: tslab/dist/executor.js,
 * `execute()`): for an error from nbresume that is its message followed by a dozen frames of
 * nbresume, tslab and Node internals, which bury the message (what went wrong, where, what to do)
 * under lines that say nothing to the user. This prints such an error as `name [code]: message`
 * and keeps only the frames of the user's own code (the cell, the project's files). An error that
 * starts outside nbresume — a bug in the user's model code, a dependency's error — passes through
 * unchanged, every frame with it. The cell still ends as an error, so "Run All" stops there.
 */
import { sep } from "node:path";

/** A stack frame's location: "file:line:col" from "    at fn (file:line:col)" or "    at file:line:col". */
function frameLocation(line: string): string | undefined {
  const m = /^\s+at (?:.*? \((.*)\)|(.*))$/.exec(line);
  return m === null ? undefined : (m[1] ?? m[2]);
}

/** Whether an error is nbresume's own: an NbresumeError, or one whose first frame is in the package (a TypeError or RangeError naming a bad option). */
export function isLibraryError(error: unknown, packageRoot: string): error is Error {
  if (!(error instanceof Error)) return false;
  // By shape, not instanceof: a notebook may hold errors from another copy of the module.
  if (error.name === "NbresumeError" && typeof (error as { code?: unknown }).code === "string") return true;
  const first = (error.stack ?? "")
    .split("\n")
    .map(frameLocation)
    .find((l) => l !== undefined);
  return first !== undefined && inPackage(first, packageRoot);
}

function inPackage(location: string, packageRoot: string): boolean {
  const file = location.replace(/^file:\/\//, "");
  return file.startsWith(packageRoot + sep) && !file.slice(packageRoot.length).includes(`${sep}node_modules${sep}`);
}

/** Frames nobody debugging a notebook needs: Node's, any package's, nbresume's own. */
function isInternal(location: string, packageRoot: string): boolean {
  const file = location.replace(/^file:\/\//, "");
  return (
    file.startsWith("node:") ||
    file.includes(`${sep}node_modules${sep}`) ||
    inPackage(location, packageRoot) ||
    file === "native" ||
    file.startsWith("<anonymous>")
  );
}

/** What a cell prints for one of nbresume's errors: its name, code and message, then the user's own frames. */
export function libraryErrorReport(error: Error, packageRoot: string): string {
  const code = (error as { code?: unknown }).code;
  const head = `${error.name}${typeof code === "string" ? ` [${code}]` : ""}: ${error.message}`;
  const frames = (error.stack ?? "").split("\n").filter((line) => {
    const location = frameLocation(line);
    return location !== undefined && !isInternal(location, packageRoot);
  });
  return [head, ...frames].join("\n");
}

/** Prints nbresume's errors on `target` (the kernel's console) as libraryErrorReport() says; everything else unchanged. */
export function plainLibraryErrors(target: Pick<Console, "error">, packageRoot: string): void {
  const original = target.error.bind(target);
  target.error = (...args: unknown[]): void => {
    if (args.length === 1 && isLibraryError(args[0], packageRoot)) original(libraryErrorReport(args[0], packageRoot));
    else original(...args);
  };
}

/**
 * Which project a kernel runs: the one whose node_modules holds the nbresume package (or this
 * source checkout itself). Two projects' kernels must be told apart — in the Jupyter launcher (the
 * display name) and when one would overwrite the other's kernelspec of the same name.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { basename, join, parse, resolve, sep } from "node:path";

export interface KernelProject {
  /** The project's directory, absolute. */
  readonly root: string;
  /** Its package.json "name", else the directory's name. */
  readonly name: string;
}

/**
 * The project of an nbresume package root: the directory before the first `node_modules`, so a
 * hoisted, nested or pnpm-stored (`node_modules/.pnpm/nbresume@x/node_modules/nbresume`) copy all
 * belong to the project that installed them; a package root outside node_modules is a checkout.
 */
export function kernelProject(packageRoot: string): KernelProject {
  const absolute = resolve(packageRoot);
  const parts = absolute.split(sep);
  const at = parts.indexOf("node_modules");
  const root = at > 0 ? parts.slice(0, at).join(sep) || parse(absolute).root : absolute;
  return { root, name: packageName(root) ?? (basename(root) || root) };
}

/** The same project, however either path was spelled (symlinked tmp dirs, a trailing slash). */
export function sameProject(a: KernelProject, b: KernelProject): boolean {
  return canonical(a.root) === canonical(b.root);
}

/** A project that is gone (moved or deleted): its kernel cannot start, so replacing it breaks nothing. */
export function projectExists(project: KernelProject): boolean {
  return existsSync(project.root);
}

function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function packageName(root: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name?: unknown };
    return typeof pkg.name === "string" && pkg.name !== "" ? pkg.name : undefined;
  } catch {
    return undefined;
  }
}

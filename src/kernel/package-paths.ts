/**
 * Where this nbresume package and the tslab it depends on are on disk, by absolute path: a
 * kernelspec must name them so, because Jupyter starts kernels in the notebook's folder with its own
 * PATH (often without node_modules/.bin or even node).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { NbresumeError } from "../errors.js";
import { KernelErrorCode, kernelMessages } from "./messages.js";

/** The package root: src/kernel/*.ts and dist/kernel/*.js both sit two levels below it. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The script Jupyter runs for the kernel (always the compiled one: node runs it without a loader). */
export function kernelEntry(packageRoot = PACKAGE_ROOT): string {
  return join(packageRoot, "dist", "kernel", "main.js");
}

export function requireBuiltEntry(packageRoot = PACKAGE_ROOT): string {
  const entry = kernelEntry(packageRoot);
  if (!existsSync(entry)) throw new NbresumeError(KernelErrorCode.NOT_BUILT, kernelMessages.notBuilt(entry), { where: entry });
  return entry;
}

export interface TslabInstall {
  /** tslab's package directory, absolute. */
  readonly dir: string;
  readonly version: string;
}

/** The tslab that `require("tslab")` finds from the package root (hoisted or nested, wherever npm put it). */
export function findTslab(packageRoot = PACKAGE_ROOT): TslabInstall {
  let manifest: string;
  try {
    manifest = createRequire(join(packageRoot, "package.json")).resolve("tslab/package.json");
  } catch (error) {
    throw new NbresumeError(
      KernelErrorCode.TSLAB_MISSING,
      kernelMessages.tslabMissing(packageRoot, error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error)),
      { where: packageRoot, cause: error },
    );
  }
  return readTslab(dirname(manifest));
}

/** tslab's version from its package.json in `dir`. */
export function readTslab(dir: string): TslabInstall {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version?: unknown };
  return { dir, version: typeof pkg.version === "string" ? pkg.version : "unknown" };
}

/**
 * What an nbresume kernelspec is called: its name (the kernels/NAME directory, which a notebook's
 * metadata.kernelspec.name and `nbresume run --kernel` refer to) and its display name (what the
 * Jupyter launcher shows).
 */
import { basename } from "node:path";
import type { KernelProject } from "./project.js";

/**
 * The default name, from every project. Notebooks already saved with this kernel name it in their
 * metadata (and `nbresume run` defaults to it), so a per-project default would orphan them. Two
 * projects cannot both own it: installing over another project's `nbresume` is refused (see
 * installKernel), naming `--name` (suggestedKernelName) and `--force`, never done silently.
 */
export const KERNEL_NAME = "nbresume";

/** The display name of this repository's own kernel, and of every kernel older installers wrote. */
export const DISPLAY_NAME = "TypeScript (nbresume)";

/**
 * A name Jupyter accepts and finds: jupyter_client allows letters, digits, '.', '_' and '-', and
 * lowercases names on install, so only lowercase ones are taken as given; never "." or ".." (a path).
 */
export function isKernelName(name: string): boolean {
  return /^[a-z0-9._-]+$/.test(name) && !/^\.+$/.test(name);
}

/**
 * `nbresume-<project>` in the characters a kernel name may have: "@acme/My App" → "nbresume-acme-my-app";
 * a checkout of nbresume itself is told apart by its directory ("nbresume-main").
 */
export function suggestedKernelName(project: KernelProject): string {
  const slug = [project.name, basename(project.root)].map(toName).find((s) => s !== "" && s !== KERNEL_NAME);
  return `${KERNEL_NAME}-${slug ?? "project"}`;
}

function toName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "");
}

/** "TypeScript (nbresume: my-project)", so two projects' kernels differ in the launcher; the checkout's own stays "TypeScript (nbresume)". */
export function kernelDisplayName(project: KernelProject): string {
  return project.name === KERNEL_NAME ? DISPLAY_NAME : `TypeScript (nbresume: ${project.name})`;
}

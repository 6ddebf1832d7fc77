/**
 * The "TypeScript (nbresume)" Jupyter kernelspec: what it says, where it goes, and installing,
 * removing and checking it without IPython or `jupyter kernelspec` (the CLI's `nbresume kernel`).
 *
 * kernel.json's argv names node, our kernel entry and the tslab it runs, all by absolute path, so a
 * kernel installed from a project runs that project's nbresume and tslab whatever Jupyter's PATH is.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { NbresumeError } from "../errors.js";
import { KernelErrorCode, kernelMessages } from "./messages.js";
import { findTslab, kernelEntry, PACKAGE_ROOT, readTslab, requireBuiltEntry, type TslabInstall } from "./package-paths.js";
import { ensureSelfLink, type SelfLink } from "./self-link.js";

export const KERNEL_NAME = "nbresume";
export const DISPLAY_NAME = "TypeScript (nbresume)";

export interface KernelSpec {
  readonly argv: string[];
  readonly display_name: string;
  readonly language: string;
  readonly interrupt_mode: "signal" | "message";
  readonly metadata: { readonly nbresume: { readonly packageRoot: string; readonly tslab: string; readonly tslabVersion: string } };
}

/** Where to install: Jupyter's own three choices (`jupyter kernelspec install --user|--prefix`, a JUPYTER_PATH entry). */
export type KernelLocation =
  { readonly kind: "user" } | { readonly kind: "prefix"; readonly dir: string } | { readonly kind: "jupyter-path"; readonly dir: string };

/** Jupyter's per-user data dir, as `jupyter --data-dir` computes it. */
export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  const home = env.HOME || homedir();
  if (platform === "win32") return join(env.APPDATA ?? join(home, "AppData", "Roaming"), "jupyter");
  if (platform === "darwin") return join(home, "Library", "Jupyter");
  return join(env.XDG_DATA_HOME || join(home, ".local", "share"), "jupyter");
}

/** The kernels/nbresume directory for a location. */
export function kernelDir(location: KernelLocation, env: NodeJS.ProcessEnv = process.env): string {
  switch (location.kind) {
    case "jupyter-path":
      return join(resolve(location.dir), "kernels", KERNEL_NAME);
    case "prefix":
      return join(resolve(location.dir), "share", "jupyter", "kernels", KERNEL_NAME);
    case "user":
      return join(userDataDir(env), "kernels", KERNEL_NAME);
  }
}

/**
 * The kernels/nbresume directories Jupyter searches, in its order (jupyter_core's jupyter_path()):
 * JUPYTER_PATH entries, the user data dir, the active conda env, then the system prefixes.
 */
export function searchedKernelDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const roots = [
    ...(env.JUPYTER_PATH ?? "").split(delimiter).filter((d) => d !== ""),
    userDataDir(env),
    ...(env.CONDA_PREFIX ? [join(env.CONDA_PREFIX, "share", "jupyter")] : []),
    "/usr/local/share/jupyter",
    "/usr/share/jupyter",
  ];
  return [...new Set(roots.map((r) => join(resolve(r), "kernels", KERNEL_NAME)))];
}

export function kernelSpec(tslab: TslabInstall, packageRoot = PACKAGE_ROOT, node = process.execPath): KernelSpec {
  return {
    argv: [node, kernelEntry(packageRoot), "--tslab", tslab.dir, "--config-path", "{connection_file}"],
    display_name: DISPLAY_NAME,
    language: "typescript",
    // tslab ignores interrupt_request messages; only SIGINT interrupts it.
    interrupt_mode: "signal",
    metadata: { nbresume: { packageRoot, tslab: tslab.dir, tslabVersion: tslab.version } },
  };
}

export interface InstallResult {
  readonly dir: string;
  readonly file: string;
  readonly spec: KernelSpec;
  readonly link: SelfLink | { readonly status: "not-requested" };
}

export function installKernel(location: KernelLocation, options: { link?: boolean; env?: NodeJS.ProcessEnv; packageRoot?: string } = {}): InstallResult {
  const packageRoot = options.packageRoot ?? PACKAGE_ROOT;
  requireBuiltEntry(packageRoot);
  const spec = kernelSpec(findTslab(packageRoot), packageRoot);
  const dir = kernelDir(location, options.env);
  const file = join(dir, "kernel.json");
  const existing = readSpec(file);
  if (existing !== undefined && !isOurs(existing)) throw new NbresumeError(KernelErrorCode.NOT_OURS, kernelMessages.notOurs(file), { where: file });
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(spec, null, 2)}\n`);
  renameSync(tmp, file); // never a half-written kernel.json for a server that is reading it
  const link = options.link === false ? ({ status: "not-requested" } as const) : ensureSelfLink(packageRoot);
  return { dir, file, spec, link };
}

export type UninstallResult = { readonly status: "removed" | "absent"; readonly dir: string };

export function uninstallKernel(location: KernelLocation, env: NodeJS.ProcessEnv = process.env): UninstallResult {
  const dir = kernelDir(location, env);
  const file = join(dir, "kernel.json");
  const spec = readSpec(file);
  if (spec === undefined) return { status: "absent", dir };
  if (!isOurs(spec)) throw new NbresumeError(KernelErrorCode.NOT_OURS, kernelMessages.notOurs(file), { where: file });
  rmSync(dir, { recursive: true, force: true });
  return { status: "removed", dir };
}

/** What one installed kernelspec runs, and what is wrong with it. */
export interface KernelStatus {
  readonly dir: string;
  readonly file: string;
  readonly node: string | undefined;
  readonly entry: string | undefined;
  readonly tslab: TslabInstall | undefined;
  readonly packageRoot: string | undefined;
  /** The spec runs this very nbresume package (the one asked). */
  readonly current: boolean;
  /** Empty when the kernel can start. */
  readonly problems: string[];
}

export function kernelStatus(dirs: readonly string[], packageRoot = PACKAGE_ROOT): KernelStatus[] {
  const found: KernelStatus[] = [];
  for (const dir of dirs) {
    const file = join(dir, "kernel.json");
    if (!existsSync(file)) continue;
    const spec = readSpec(file);
    const problems: string[] = [];
    if (spec === undefined || !isOurs(spec)) {
      found.push({
        dir,
        file,
        node: undefined,
        entry: undefined,
        tslab: undefined,
        packageRoot: undefined,
        current: false,
        problems: [spec === undefined ? "kernel.json is not valid JSON" : "not written by nbresume"],
      });
      continue;
    }
    const [node, entry] = spec.argv;
    const tslabIndex = spec.argv.indexOf("--tslab");
    const tslabDir = tslabIndex >= 0 ? spec.argv[tslabIndex + 1] : undefined;
    if (node === undefined || !existsSync(node)) problems.push(`node ${node ?? "(none)"} does not exist`);
    if (entry === undefined || !existsSync(entry)) problems.push(`kernel entry ${entry ?? "(none)"} does not exist`);
    let tslab: TslabInstall | undefined;
    if (tslabDir === undefined || !existsSync(join(tslabDir, "package.json"))) problems.push(`tslab ${tslabDir ?? "(none)"} does not exist`);
    else tslab = readTslab(tslabDir);
    const root = spec.metadata?.nbresume?.packageRoot;
    found.push({ dir, file, node, entry, tslab, packageRoot: root, current: root !== undefined && resolve(root) === resolve(packageRoot), problems });
  }
  return found;
}

function readSpec(file: string): (Partial<KernelSpec> & { argv: string[] }) | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    const spec = JSON.parse(text) as Partial<KernelSpec>;
    return { ...spec, argv: Array.isArray(spec.argv) ? spec.argv.filter((a): a is string => typeof a === "string") : [] };
  } catch {
    return undefined;
  }
}

/** Written by nbresume: ours has metadata.nbresume; older installers ran tslab with our display name. */
function isOurs(spec: Partial<KernelSpec>): boolean {
  return spec.metadata?.nbresume !== undefined || spec.display_name === DISPLAY_NAME;
}

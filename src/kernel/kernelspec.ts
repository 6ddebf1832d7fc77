/**
 * The nbresume Jupyter kernelspec ("TypeScript (nbresume: <project>)"): what it says, where it goes,
 * and installing, removing and checking it without IPython or `jupyter kernelspec` (the CLI's
 * `nbresume kernel`).
 *
 * kernel.json's argv names node, our kernel entry and the tslab it runs, all by absolute path, so a
 * kernel installed from a project runs that project's nbresume and tslab whatever Jupyter's PATH is.
 * That is also why one name cannot serve two projects: installing kernel `nbresume` from project B
 * over project A's would make A's notebooks run B's code, so it is refused unless forced.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { NbresumeError } from "../errors.js";
import { KernelErrorCode, kernelMessages } from "./messages.js";
import { findTslab, kernelEntry, PACKAGE_ROOT, readTslab, requireBuiltEntry, type TslabInstall } from "./package-paths.js";
import { DISPLAY_NAME, isKernelName, KERNEL_NAME, kernelDisplayName, suggestedKernelName } from "./kernel-names.js";
import { kernelProject, projectExists, sameProject, type KernelProject } from "./project.js";
import { ensureSelfLink, type SelfLink } from "./self-link.js";

export { DISPLAY_NAME, KERNEL_NAME } from "./kernel-names.js";

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

/** The kernels/NAME directory for a location. */
export function kernelDir(location: KernelLocation, name = KERNEL_NAME, env: NodeJS.ProcessEnv = process.env): string {
  checkName(name);
  switch (location.kind) {
    case "jupyter-path":
      return join(resolve(location.dir), "kernels", name);
    case "prefix":
      return join(resolve(location.dir), "share", "jupyter", "kernels", name);
    case "user":
      return join(userDataDir(env), "kernels", name);
  }
}

/**
 * The kernels/NAME directories Jupyter searches, in its order (jupyter_core's jupyter_path()):
 * JUPYTER_PATH entries, the user data dir, the active conda env, then the system prefixes.
 */
export function searchedKernelDirs(name = KERNEL_NAME, env: NodeJS.ProcessEnv = process.env): string[] {
  checkName(name);
  const roots = [
    ...(env.JUPYTER_PATH ?? "").split(delimiter).filter((d) => d !== ""),
    userDataDir(env),
    ...(env.CONDA_PREFIX ? [join(env.CONDA_PREFIX, "share", "jupyter")] : []),
    "/usr/local/share/jupyter",
    "/usr/share/jupyter",
  ];
  return [...new Set(roots.map((r) => join(resolve(r), "kernels", name)))];
}

/** `displayName`: what the launcher shows; by default it names the project (kernelDisplayName). */
export function kernelSpec(tslab: TslabInstall, packageRoot = PACKAGE_ROOT, node = process.execPath, displayName?: string): KernelSpec {
  return {
    argv: [node, kernelEntry(packageRoot), "--tslab", tslab.dir, "--config-path", "{connection_file}"],
    display_name: displayName ?? kernelDisplayName(kernelProject(packageRoot)),
    language: "typescript",
    // tslab ignores interrupt_request messages; only SIGINT interrupts it.
    interrupt_mode: "signal",
    metadata: { nbresume: { packageRoot, tslab: tslab.dir, tslabVersion: tslab.version } },
  };
}

export interface InstallOptions {
  /** The kernelspec's name (kernels/NAME); default KERNEL_NAME. */
  readonly name?: string;
  /** Default: "TypeScript (nbresume: <project>)". */
  readonly displayName?: string;
  /** Replace a kernelspec of that name that another project (or another program) installed. */
  readonly force?: boolean;
  /** In a source checkout, create node_modules/nbresume → .. (default true). */
  readonly link?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly packageRoot?: string;
}

export interface InstallResult {
  readonly name: string;
  readonly dir: string;
  readonly file: string;
  readonly spec: KernelSpec;
  readonly link: SelfLink | { readonly status: "not-requested" };
  /** Another project's kernel of this name that was replaced: that project no longer exists, or `force`. */
  readonly replaced: { readonly project: KernelProject; readonly why: "gone" | "forced" } | undefined;
}

/**
 * Writes kernels/NAME/kernel.json. Installing again from the same project rewrites it (a new node,
 * a moved tslab); over another project's kernel of that name it throws KERNEL_NAME_TAKEN unless
 * that project is gone or `force` is set; over a kernelspec nbresume did not write, KERNEL_NOT_OURS
 * unless `force`.
 */
export function installKernel(location: KernelLocation, options: InstallOptions = {}): InstallResult {
  const name = options.name ?? KERNEL_NAME;
  const packageRoot = options.packageRoot ?? PACKAGE_ROOT;
  const dir = kernelDir(location, name, options.env);
  requireBuiltEntry(packageRoot);
  const spec = kernelSpec(findTslab(packageRoot), packageRoot, process.execPath, options.displayName);
  const file = join(dir, "kernel.json");
  const replaced = checkReplaceable(file, name, kernelProject(packageRoot), options.force === true);
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(spec, null, 2)}\n`);
  renameSync(tmp, file); // never a half-written kernel.json for a server that is reading it
  const link = options.link === false ? ({ status: "not-requested" } as const) : ensureSelfLink(packageRoot);
  return { name, dir, file, spec, link, replaced };
}

/** Whose kernel an install at `file` would replace (undefined: none, or ours); throws when it must not. */
function checkReplaceable(file: string, name: string, ours: KernelProject, force: boolean): InstallResult["replaced"] {
  if (!existsSync(file)) return undefined;
  const existing = readSpec(file);
  if (existing === undefined || !isOurs(existing)) {
    if (force) return undefined;
    throw new NbresumeError(KernelErrorCode.NOT_OURS, kernelMessages.notOurs(file, name), { where: file });
  }
  // Older installers wrote no metadata: whose kernel it was cannot be told, and it ran this checkout.
  const theirRoot = existing.metadata?.nbresume?.packageRoot;
  if (typeof theirRoot !== "string") return undefined;
  const theirs = kernelProject(theirRoot);
  if (sameProject(theirs, ours)) return undefined;
  if (!projectExists(theirs)) return { project: theirs, why: "gone" };
  if (force) return { project: theirs, why: "forced" };
  throw new NbresumeError(KernelErrorCode.NAME_TAKEN, kernelMessages.nameTaken(name, file, theirs.root, ours.root, suggestedKernelName(ours)), {
    where: file,
  });
}

export type UninstallResult = { readonly status: "removed" | "absent"; readonly dir: string };

export function uninstallKernel(location: KernelLocation, options: { name?: string; env?: NodeJS.ProcessEnv } = {}): UninstallResult {
  const name = options.name ?? KERNEL_NAME;
  const dir = kernelDir(location, name, options.env);
  const file = join(dir, "kernel.json");
  const spec = readSpec(file);
  if (spec === undefined) return { status: "absent", dir };
  if (!isOurs(spec)) throw new NbresumeError(KernelErrorCode.NOT_OURS, kernelMessages.notOurs(file, name), { where: file });
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
  /** The project that package belongs to. */
  readonly project: KernelProject | undefined;
  readonly displayName: string | undefined;
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
        project: undefined,
        displayName: undefined,
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
    found.push({
      dir,
      file,
      node,
      entry,
      tslab,
      packageRoot: root,
      project: root === undefined ? undefined : kernelProject(root),
      displayName: spec.display_name,
      current: root !== undefined && resolve(root) === resolve(packageRoot),
      problems,
    });
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

/** At the API boundary: a bad name is a caller's mistake, and ".." would leave the kernels directory. */
function checkName(name: string): void {
  if (!isKernelName(name)) throw new RangeError(kernelMessages.badName(name));
}

/** Written by nbresume: ours has metadata.nbresume; older installers ran tslab with our display name. */
function isOurs(spec: Partial<KernelSpec>): boolean {
  return spec.metadata?.nbresume !== undefined || spec.display_name === DISPLAY_NAME;
}

#!/usr/bin/env node
// Installs the "TypeScript (nbresume)" Jupyter kernelspec (tslab) without IPython.
// Plain JS so it runs straight after `npm ci`, before any build. See kernel/README.md.
//
//   node kernel/install.mjs                      # user data dir ($JUPYTER_DATA_DIR or the platform default)
//   node kernel/install.mjs --prefix DIR         # DIR/share/jupyter/kernels/nbresume (like `jupyter kernelspec install --prefix`)
//   node kernel/install.mjs --jupyter-path DIR   # DIR/kernels/nbresume (point JUPYTER_PATH at DIR)
//   --no-link                                    # skip the node_modules/nbresume self-link in a source checkout
import { createRequire } from "node:module";
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const KERNEL_NAME = "nbresume";
export const DISPLAY_NAME = "TypeScript (nbresume)";

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Jupyter's per-user data dir, as `jupyter --data-dir` computes it. */
export function userDataDir(env = process.env, platform = process.platform) {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (platform === "win32") return join(env.APPDATA ?? join(homedir(), "AppData", "Roaming"), "jupyter");
  if (platform === "darwin") return join(homedir(), "Library", "Jupyter");
  return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "jupyter");
}

/** The tslab entry script of the tslab this package resolves (hoisted or nested, wherever npm put it). */
export function tslabBin() {
  const require = createRequire(join(packageRoot, "package.json"));
  const manifest = require.resolve("tslab/package.json");
  const pkg = JSON.parse(readFileSync(manifest, "utf8"));
  const bin = typeof pkg.bin === "string" ? pkg.bin : pkg.bin?.tslab;
  if (typeof bin !== "string") throw new Error(`tslab at ${dirname(manifest)} declares no "tslab" bin; reinstall it with \`npm install tslab\`.`);
  return join(dirname(manifest), bin);
}

export function kernelSpec() {
  return {
    // The node running this script, by absolute path: Jupyter starts kernels with its own PATH,
    // which often has neither node_modules/.bin nor node (conda, desktop launchers, systemd).
    argv: [process.execPath, tslabBin(), "kernel", "--config-path", "{connection_file}"],
    display_name: DISPLAY_NAME,
    language: "typescript",
    // tslab ignores interrupt_request messages; only SIGINT interrupts it.
    interrupt_mode: "signal",
    metadata: { nbresume: { packageRoot } },
  };
}

/**
 * In a source checkout (not inside node_modules), make `import ... from "nbresume"` type-check in
 * notebooks/: tslab resolves types with TypeScript's classic node (Node10) resolution, which ignores
 * package self-references, so it needs node_modules/nbresume. Node's own require already resolves
 * the self-reference through package.json "exports".
 */
export function ensureSelfLink(root = packageRoot) {
  if (root.split(sep).includes("node_modules")) return { status: "not-needed" };
  const link = join(root, "node_modules", KERNEL_NAME);
  if (!existsSync(join(root, "node_modules"))) {
    return { status: "skipped", message: `no node_modules in ${root}: run \`npm ci\` first, then this script again` };
  }
  let stat;
  try {
    stat = lstatSync(link);
  } catch {
    stat = undefined;
  }
  if (stat === undefined) {
    // Relative on POSIX so the checkout can move; Windows junctions need an absolute target.
    if (process.platform === "win32") symlinkSync(root, link, "junction");
    else symlinkSync("..", link);
    return { status: "created", path: link };
  }
  if (stat.isSymbolicLink() && resolve(dirname(link), readlinkSync(link)) === root) return { status: "present", path: link };
  return { status: "skipped", message: `${link} exists and is not a link to ${root}; left as is` };
}

export function kernelDir(args, env = process.env) {
  if (args.jupyterPath !== undefined) return join(resolve(args.jupyterPath), "kernels", KERNEL_NAME);
  if (args.prefix !== undefined) return join(resolve(args.prefix), "share", "jupyter", "kernels", KERNEL_NAME);
  return join(userDataDir(env), "kernels", KERNEL_NAME);
}

export function install(args) {
  const dir = kernelDir(args);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "kernel.json");
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(kernelSpec(), null, 2) + "\n");
  renameSync(tmp, file); // never a half-written kernel.json for a server that is reading it
  const link = args.link ? ensureSelfLink() : { status: "not-requested" };
  return { dir, file, link };
}

function parseArgs(argv) {
  const args = { prefix: undefined, jupyterPath: undefined, link: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a directory, e.g. ${a} /tmp/jupyter`);
      return v;
    };
    if (a === "--prefix") args.prefix = value();
    else if (a === "--jupyter-path") args.jupyterPath = value();
    else if (a === "--no-link") args.link = false;
    else if (a === "--help" || a === "-h") args.help = true;
    else throw new Error(`unknown option ${a}; use --prefix DIR, --jupyter-path DIR or --no-link`);
  }
  if (args.prefix !== undefined && args.jupyterPath !== undefined) throw new Error("use either --prefix or --jupyter-path, not both");
  return args;
}

function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`kernel:install: ${e.message}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1, 8).join("\n"));
    return;
  }
  const { file, link } = install(args);
  console.log(`Installed kernel "${DISPLAY_NAME}" (${KERNEL_NAME}) → ${file}`);
  if (link.status === "created") console.log(`Linked ${link.path} → .. so notebooks/ can import "nbresume" with types`);
  if (link.status === "skipped") console.warn(`Note: ${link.message}`);
  if (args.jupyterPath !== undefined) console.log(`Start Jupyter with JUPYTER_PATH=${resolve(args.jupyterPath)} to see it.`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();

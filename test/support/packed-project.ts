/**
 * A user's own project that installs nbresume the way users do: the package as `npm pack` makes it
 * (packed once per test run, after the build), installed with npm into a fresh temp project with
 * its own package.json, and the kernel installed from there with `npx nbresume kernel install`.
 *
 *   const project = await createPackedProject({ files: { "train.ipynb": JSON.stringify(nb) } });
 *   const r = await project.run("npx nbresume kernel status --jupyter-path jupyter");  // status, stdout, stderr
 *   await executeNotebook(join(project.dir, "train.ipynb"), { jupyter: project.jupyter });
 *   project.remove();
 *
 * NuGet is unreachable for everything run in the project: onnxruntime-node's installer (the only
 * thing that would go there, for its CUDA libraries) reaches the network through global-agent,
 * and GLOBAL_AGENT_HTTP(S)_PROXY points it at a closed port on 127.0.0.1, so any attempt fails at
 * once. npm itself installs from the tarball and its cache (--prefer-offline), reaching the npm
 * registry only for what the cache lacks.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { REPO_ROOT, type JupyterEnv } from "./jupyter-server.js";

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface PackedProject {
  /** The project's root: package.json, node_modules/nbresume from the tarball, the given files. */
  readonly dir: string;
  /** The packed nbresume this project installed. */
  readonly tarball: string;
  /** What `npm install <tarball>` printed. */
  readonly install: RunResult;
  /** A private Jupyter environment whose JUPYTER_PATH holds the kernel `npx nbresume kernel install` wrote. */
  readonly jupyter: JupyterEnv;
  /** Runs a shell command in the project (sh -c), with the project's environment; never rejects on a non-zero exit. */
  run(command: string, options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult>;
  /** Removes the project and its Jupyter environment (not the shared tarball). */
  remove(): void;
}

export interface PackedProjectOptions {
  /** Files to write into the project before installing, by path relative to its root. A package.json here replaces the default one. */
  readonly files?: Readonly<Record<string, string>>;
}

/** An unused port on 127.0.0.1 nothing listens on: connections are refused at once. */
const UNREACHABLE_PROXY = "http://127.0.0.1:9";

/**
 * The environment of a user's shell on a machine that cannot reach NuGet: no npm_* variables of an
 * enclosing `npm test` (npm would read npm_config_* as its own config), no ONNXRUNTIME_NODE_INSTALL*
 * of ours, so what keeps the CUDA download away is what the README tells users to do.
 */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === "INIT_CWD" || k.startsWith("ONNXRUNTIME_NODE_INSTALL")) continue;
    env[k] = v;
  }
  // Node by the absolute path this test runs with first, as a user's PATH has their node.
  env.PATH = [dirname(process.execPath), env.PATH ?? ""].join(":");
  return { ...env, GLOBAL_AGENT_HTTP_PROXY: UNREACHABLE_PROXY, GLOBAL_AGENT_HTTPS_PROXY: UNREACHABLE_PROXY, NO_COLOR: "1", ...extra };
}

function runIn(cwd: string, command: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  return new Promise((done, reject) => {
    const child = spawn("sh", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
  });
}

let packed: { dir: string; tarball: string } | undefined;

/** `npm pack` of this checkout, once per test run, into a temp dir removed when the process exits. */
export function packedTarball(): string {
  if (packed !== undefined) return packed.tarball;
  if (!existsSync(join(REPO_ROOT, "dist", "index.js")) || !existsSync(join(REPO_ROOT, "dist", "kernel", "main.js"))) {
    throw new Error(`${join(REPO_ROOT, "dist")} is not built: run \`npm run build\` first (npm test does).`);
  }
  const dir = mkdtempSync(join(tmpdir(), "nbresume-pack-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  // --ignore-scripts: pack what `npm run build` left in dist/ instead of building again (prepare).
  const r = spawnSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: REPO_ROOT, encoding: "utf8", env: userEnv() });
  if (r.status !== 0) throw new Error(`npm pack failed (exit ${r.status}):\n${r.stderr}`);
  const [info] = JSON.parse(r.stdout) as { filename: string }[];
  if (info === undefined) throw new Error(`npm pack printed no file:\n${r.stdout}`);
  packed = { dir, tarball: join(dir, info.filename) };
  return packed.tarball;
}

/** The README's "In your own project" steps up to the kernel, in a fresh temp project. */
export async function createPackedProject(options: PackedProjectOptions = {}): Promise<PackedProject> {
  const tarball = packedTarball();
  const dir = mkdtempSync(join(tmpdir(), "nbresume-user-project-"));
  const jupyterDir = join(dir, ".jupyter-test");
  const jupyter: JupyterEnv = {
    dir: jupyterDir,
    jupyterPath: join(jupyterDir, "jupyter"),
    env: userEnv({
      JUPYTER_PATH: join(jupyterDir, "jupyter"),
      JUPYTER_DATA_DIR: join(jupyterDir, "data"),
      JUPYTER_CONFIG_DIR: join(jupyterDir, "config"),
      JUPYTER_RUNTIME_DIR: join(jupyterDir, "runtime"),
      JUPYTER_PLATFORM_DIRS: "0",
      PYTHONUNBUFFERED: "1",
    }),
    remove: () => rmSync(jupyterDir, { recursive: true, force: true }),
  };
  const run = (command: string, o: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> =>
    runIn(dir, command, { ...jupyter.env, ...o.env }, o.timeoutMs ?? 300_000);
  const fail = (what: string, r: RunResult): never => {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${what} failed in ${dir} (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  };
  try {
    const files = options.files ?? {};
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    if (files["package.json"] === undefined) {
      writeFileSync(
        join(dir, "package.json"),
        `${JSON.stringify({ name: "my-nbresume-project", version: "1.0.0", private: true, type: "module" }, null, 2)}\n`,
      );
    }
    // README: npm's install-script policy skips onnxruntime-node's CUDA download (and keeps tslab's
    // zeromq check of its prebuilt addon, as npm runs it today), then install.
    const policy = await run("npm pkg set allowScripts.onnxruntime-node=false allowScripts.zeromq=true --json");
    if (policy.status !== 0) fail("npm pkg set allowScripts", policy);
    const install = await run(`npm install --prefer-offline --no-audit --no-fund ${JSON.stringify(tarball)}`);
    if (install.status !== 0) fail("npm install nbresume", install);
    const kernel = await run(`npx nbresume kernel install --jupyter-path ${JSON.stringify(jupyter.jupyterPath)}`);
    if (kernel.status !== 0) fail("npx nbresume kernel install", kernel);
    return { dir, tarball, install, jupyter, run, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** `npm run kernel:install` (kernel/install.mjs), run as users run it: a real process writing real files. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jupyterBin, REPO_ROOT } from "../support/jupyter-server.js";

const INSTALL = join(REPO_ROOT, "kernel", "install.mjs");

interface KernelJson {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: string;
}

function install(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [INSTALL, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function readSpec(dir: string): KernelJson {
  return JSON.parse(readFileSync(join(dir, "kernel.json"), "utf8")) as KernelJson;
}

describe("kernel:install", function () {
  let tmp: string;

  beforeEach(function () {
    tmp = mkdtempSync(join(tmpdir(), "nbresume-kernel-install-"));
  });

  afterEach(function () {
    rmSync(tmp, { recursive: true, force: true });
  });

  it("writes a tslab kernelspec with absolute paths and signal interrupts into --jupyter-path, which Jupyter lists", function () {
    const r = install(["--jupyter-path", tmp]);
    assert.equal(r.status, 0, r.stderr);
    const spec = readSpec(join(tmp, "kernels", "nbresume"));
    assert.equal(spec.display_name, "TypeScript (nbresume)");
    assert.equal(spec.language, "typescript");
    assert.equal(spec.interrupt_mode, "signal");
    assert.deepEqual(spec.argv.slice(2), ["kernel", "--config-path", "{connection_file}"]);
    assert.equal(spec.argv[0], process.execPath, "node by absolute path: Jupyter's PATH may have no node");
    assert.equal(realpathSync(spec.argv[1] ?? ""), realpathSync(join(REPO_ROOT, "node_modules", "tslab", "bin", "tslab")));

    const list = spawnSync(jupyterBin(), ["kernelspec", "list", "--json"], {
      encoding: "utf8",
      env: { ...process.env, JUPYTER_PATH: tmp, JUPYTER_DATA_DIR: join(tmp, "data"), JUPYTER_CONFIG_DIR: join(tmp, "config") },
    });
    assert.equal(list.status, 0, list.stderr);
    const specs = (JSON.parse(list.stdout) as { kernelspecs: Record<string, { resource_dir: string; spec: KernelJson }> }).kernelspecs;
    assert.equal(specs.nbresume?.resource_dir, join(tmp, "kernels", "nbresume"));
    assert.equal(specs.nbresume?.spec.interrupt_mode, "signal");
  });

  it("installs under --prefix DIR at DIR/share/jupyter/kernels/nbresume", function () {
    const r = install(["--prefix", tmp]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readSpec(join(tmp, "share", "jupyter", "kernels", "nbresume")).display_name, "TypeScript (nbresume)");
  });

  it("installs into the user's data dir by default, honouring JUPYTER_DATA_DIR", function () {
    const r = install([], { JUPYTER_DATA_DIR: join(tmp, "data"), HOME: join(tmp, "home") });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(tmp, "data", "kernels", "nbresume", "kernel.json")));
    assert.ok(!existsSync(join(tmp, "home")), "nothing written under HOME when JUPYTER_DATA_DIR is set");
  });

  it("falls back to ~/.local/share/jupyter without JUPYTER_DATA_DIR (Linux)", function () {
    if (process.platform !== "linux") this.skip(); // other platforms use other defaults; this machine is Linux
    const env: NodeJS.ProcessEnv = { HOME: join(tmp, "home"), JUPYTER_DATA_DIR: "", XDG_DATA_HOME: "" };
    const r = install([], env);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(tmp, "home", ".local", "share", "jupyter", "kernels", "nbresume", "kernel.json")));
  });

  /** A copy of the package layout in tmp: package.json, kernel/install.mjs, node_modules/tslab → the real one. */
  function fakePackage(root: string): string {
    mkdirSync(join(root, "kernel"), { recursive: true });
    mkdirSync(join(root, "node_modules"), { recursive: true });
    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "nbresume", type: "module" }));
    copyFileSync(INSTALL, join(root, "kernel", "install.mjs"));
    symlinkSync(join(REPO_ROOT, "node_modules", "tslab"), join(root, "node_modules", "tslab"));
    return join(root, "kernel", "install.mjs");
  }

  function run(script: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [script, ...args], { encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it("links node_modules/nbresume → .. in a source checkout so notebooks/ can import the package with types", function () {
    const pkg = join(tmp, "checkout");
    const script = fakePackage(pkg);
    const first = run(script, ["--jupyter-path", join(tmp, "jp")]);
    assert.equal(first.status, 0, first.stderr);
    const link = join(pkg, "node_modules", "nbresume");
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readlinkSync(link), "..", "relative, so the checkout can move");
    assert.match(first.stdout, /Linked .*node_modules\/nbresume/);
    const again = run(script, ["--jupyter-path", join(tmp, "jp")]);
    assert.equal(again.status, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /Linked/);

    const other = join(tmp, "no-link");
    const noLink = run(fakePackage(other), ["--jupyter-path", join(tmp, "jp2"), "--no-link"]);
    assert.equal(noLink.status, 0, noLink.stderr);
    assert.ok(!existsSync(join(other, "node_modules", "nbresume")));
  });

  it("adds no link when the package is itself installed under node_modules", function () {
    const pkg = join(tmp, "project", "node_modules", "nbresume");
    const r = run(fakePackage(pkg), ["--jupyter-path", join(tmp, "jp")]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!existsSync(join(pkg, "node_modules", "nbresume")));
    assert.ok(existsSync(join(tmp, "jp", "kernels", "nbresume", "kernel.json")));
  });

  it("rejects unknown options and a missing directory with exit code 2 and a hint", function () {
    const bad = install(["--user"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown option --user; use --prefix DIR, --jupyter-path DIR or --no-link/);
    const missing = install(["--prefix"]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--prefix needs a directory/);
  });
});

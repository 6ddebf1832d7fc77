/**
 * `nbresume kernel install|uninstall|status` (src/cli/commands/kernel.ts) and `npm run
 * kernel:install` (kernel/install.mjs), run as users run them: real processes writing real files,
 * checked by Jupyter itself and by a real kernel.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliMessages as messages } from "../../src/cli/messages.js";
import { NbresumeError } from "../../src/errors.js";
import { DISPLAY_NAME, installKernel, type KernelSpec } from "../../src/kernel/kernelspec.js";
import { suggestedKernelName } from "../../src/kernel/kernel-names.js";
import { KernelErrorCode, kernelMessages } from "../../src/kernel/messages.js";
import { kernelProject } from "../../src/kernel/project.js";
import { ensureSelfLink } from "../../src/kernel/self-link.js";
import { jupyterBin, REPO_ROOT, startJupyterServer } from "../support/jupyter-server.js";

const CLI = join(REPO_ROOT, "dist", "cli", "main.js");
const INSTALL = join(REPO_ROOT, "kernel", "install.mjs");

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function nbresume(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1", ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function readSpec(dir: string): KernelSpec {
  return JSON.parse(readFileSync(join(dir, "kernel.json"), "utf8")) as KernelSpec;
}

interface Project {
  readonly root: string;
  readonly packageRoot: string;
}

/**
 * A project after `npm install nbresume`, as far as installing its kernel looks: its package.json,
 * node_modules/nbresume with the kernel entry (empty: these tests never start it) and tslab beside it.
 */
function userProject(root: string, name: string): Project {
  const packageRoot = join(root, "node_modules", "nbresume");
  mkdirSync(join(packageRoot, "dist", "kernel"), { recursive: true });
  writeFileSync(join(root, "package.json"), JSON.stringify({ name, private: true }));
  writeFileSync(join(packageRoot, "package.json"), JSON.stringify({ name: "nbresume", type: "module" }));
  writeFileSync(join(packageRoot, "dist", "kernel", "main.js"), "");
  symlinkSync(join(REPO_ROOT, "node_modules", "tslab"), join(root, "node_modules", "tslab"), "dir");
  return { root, packageRoot };
}

describe("nbresume kernel install | uninstall | status", function () {
  this.timeout(60_000);
  let tmp: string;

  beforeEach(function () {
    tmp = mkdtempSync(join(tmpdir(), "nbresume-kernel-install-"));
  });

  afterEach(function () {
    rmSync(tmp, { recursive: true, force: true });
  });

  it("writes a kernelspec naming node, our kernel entry and this project's tslab by absolute path, with signal interrupts, which Jupyter lists", function () {
    const r = nbresume(["kernel", "install", "--jupyter-path", tmp]);
    assert.equal(r.status, 0, r.stderr);
    const dir = join(tmp, "kernels", "nbresume");
    assert.equal(r.stdout.split("\n")[0], kernelMessages.installed("nbresume", DISPLAY_NAME, join(dir, "kernel.json")));
    assert.ok(r.stdout.includes(messages.kernelJupyterPathHint(tmp)));
    const spec = readSpec(dir);
    assert.equal(spec.display_name, DISPLAY_NAME);
    assert.equal(spec.language, "typescript");
    assert.equal(spec.interrupt_mode, "signal");
    assert.equal(spec.argv[0], process.execPath, "node by absolute path: Jupyter's PATH may have no node");
    assert.equal(spec.argv[1], join(REPO_ROOT, "dist", "kernel", "main.js"));
    assert.deepEqual(spec.argv.slice(2), ["--tslab", join(REPO_ROOT, "node_modules", "tslab"), "--config-path", "{connection_file}"]);
    assert.equal(realpathSync(spec.argv[3] ?? ""), realpathSync(join(REPO_ROOT, "node_modules", "tslab")));

    const list = spawnSync(jupyterBin(), ["kernelspec", "list", "--json"], {
      encoding: "utf8",
      env: { ...process.env, JUPYTER_PATH: tmp, JUPYTER_DATA_DIR: join(tmp, "data"), JUPYTER_CONFIG_DIR: join(tmp, "config") },
    });
    assert.equal(list.status, 0, list.stderr);
    const specs = (JSON.parse(list.stdout) as { kernelspecs: Record<string, { resource_dir: string; spec: KernelSpec }> }).kernelspecs;
    assert.equal(specs.nbresume?.resource_dir, dir);
    assert.equal(specs.nbresume?.spec.interrupt_mode, "signal");
  });

  it("installs under --prefix DIR at DIR/share/jupyter/kernels/nbresume", function () {
    const r = nbresume(["kernel", "install", "--prefix", tmp]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readSpec(join(tmp, "share", "jupyter", "kernels", "nbresume")).display_name, DISPLAY_NAME);
  });

  it("installs into the user's data dir by default and with --user, honouring JUPYTER_DATA_DIR", function () {
    for (const args of [[], ["--user"]]) {
      const data = join(tmp, `data${args.length}`);
      const r = nbresume(["kernel", "install", ...args], { JUPYTER_DATA_DIR: data, HOME: join(tmp, "home") });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(existsSync(join(data, "kernels", "nbresume", "kernel.json")));
    }
    assert.ok(!existsSync(join(tmp, "home")), "nothing written under HOME when JUPYTER_DATA_DIR is set");
  });

  it("falls back to the platform's data dir under HOME without JUPYTER_DATA_DIR", function () {
    const home = join(tmp, "home");
    const r = nbresume(["kernel", "install"], { HOME: home, JUPYTER_DATA_DIR: "", XDG_DATA_HOME: "" });
    assert.equal(r.status, 0, r.stderr);
    const data = process.platform === "darwin" ? join(home, "Library", "Jupyter") : join(home, ".local", "share", "jupyter");
    assert.ok(existsSync(join(data, "kernels", "nbresume", "kernel.json")));
  });

  it("status reports what the installed kernel runs and exits 0; 1 with the install command when there is none", function () {
    assert.equal(nbresume(["kernel", "install", "--jupyter-path", tmp]).status, 0);
    const ok = nbresume(["kernel", "status"], { JUPYTER_PATH: tmp, JUPYTER_DATA_DIR: join(tmp, "data") });
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(ok.stdout.startsWith(messages.kernelFound(join(tmp, "kernels", "nbresume", "kernel.json"), true)));
    assert.match(ok.stdout, /tslab +\S+node_modules\/tslab \(1\.0\.\d+\)/);
    const json = JSON.parse(nbresume(["kernel", "status", "--json", "--jupyter-path", tmp]).stdout) as {
      ok: boolean;
      kernels: { current: boolean; problems: string[] }[];
    };
    assert.equal(json.ok, true);
    assert.deepEqual(
      json.kernels.map((k) => [k.current, k.problems]),
      [[true, []]],
    );

    const empty = join(tmp, "empty");
    const none = nbresume(["kernel", "status", "--jupyter-path", empty]);
    assert.equal(none.status, 1);
    assert.equal(none.stderr.trim(), kernelMessages.notInstalled("nbresume", [join(empty, "kernels", "nbresume")]));
  });

  it("status exits 1 naming the problem when the kernel's tslab is gone", function () {
    assert.equal(nbresume(["kernel", "install", "--jupyter-path", tmp]).status, 0);
    const file = join(tmp, "kernels", "nbresume", "kernel.json");
    const spec = readSpec(join(tmp, "kernels", "nbresume"));
    const gone = join(tmp, "no-such-tslab");
    writeFileSync(file, JSON.stringify({ ...spec, argv: spec.argv.map((a) => (a === spec.metadata.nbresume.tslab ? gone : a)) }));
    const r = nbresume(["kernel", "status", "--jupyter-path", tmp]);
    assert.equal(r.status, 1);
    assert.ok(r.stdout.includes(kernelMessages.problem(`tslab ${gone} does not exist`, "nbresume")), r.stdout);
  });

  it("uninstall removes the kernel, says so when there is none, and refuses a kernelspec it did not write", function () {
    assert.equal(nbresume(["kernel", "install", "--jupyter-path", tmp]).status, 0);
    const dir = join(tmp, "kernels", "nbresume");
    const removed = nbresume(["kernel", "uninstall", "--jupyter-path", tmp]);
    assert.equal(removed.status, 0, removed.stderr);
    assert.equal(removed.stdout.trim(), messages.kernelRemoved(dir));
    assert.ok(!existsSync(dir));
    const again = nbresume(["kernel", "uninstall", "--jupyter-path", tmp]);
    assert.equal(again.status, 0);
    assert.equal(again.stderr.trim(), messages.kernelAbsent(dir));

    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "kernel.json"), JSON.stringify({ argv: ["python3", "-m", "other"], display_name: "Other", language: "python" }));
    for (const action of ["uninstall", "install"]) {
      const refused = nbresume(["kernel", action, "--jupyter-path", tmp]);
      assert.equal(refused.status, 1);
      assert.ok(refused.stderr.includes(kernelMessages.notOurs(join(dir, "kernel.json"), "nbresume")), refused.stderr);
      assert.ok(existsSync(join(dir, "kernel.json")));
    }
    const forced = nbresume(["kernel", "install", "--force", "--jupyter-path", tmp]);
    assert.equal(forced.status, 0, forced.stderr);
    assert.equal(readSpec(dir).argv[1], join(REPO_ROOT, "dist", "kernel", "main.js"), "--force replaces it");
  });

  it("rejects an unknown action (a typo with 'Did you mean'), two locations, install-only options elsewhere and a bad --name with exit code 2", function () {
    const cases: [string[], string][] = [
      [["kernel", "add"], kernelMessages.unknownAction("add", "")],
      [["kernel", "instal"], kernelMessages.unknownAction("instal", " Did you mean 'install'?")],
      [["kernel", "status", "--force"], kernelMessages.installOnly("force")],
      [["kernel", "uninstall", "--display-name", "X"], kernelMessages.installOnly("display-name")],
      [["kernel", "install", "--name", "../x"], kernelMessages.badName("../x")],
      [["kernel", "status", "--name", "MyKernel"], kernelMessages.badName("MyKernel")],
      [["kernel", "install", "--prefix", tmp, "--jupyter-path", tmp], messages.kernelOneLocation()],
      [["kernel", "install", "--user", "--prefix", tmp], messages.kernelOneLocation()],
      [["kernel", "status", "--no-link"], messages.kernelLinkOnInstall()],
    ];
    for (const [args, message] of cases) {
      const r = nbresume(args);
      assert.equal(r.status, 2, args.join(" "));
      assert.equal(r.stderr.split("\n")[0], `nbresume: ${message}`);
    }
    assert.match(nbresume(["kernel", "instal"]).stderr, /^nbresume: unknown kernel action 'instal'\. Did you mean 'install'\?/);
  });

  describe("from two projects: --name, --display-name, --force", function () {
    const NAME_OF_A = "TypeScript (nbresume: project-a)";
    let jupyterPath: string;
    let a: Project;
    let b: Project;

    beforeEach(function () {
      jupyterPath = join(tmp, "jupyter");
      a = userProject(join(tmp, "a"), "project-a");
      b = userProject(join(tmp, "b"), "project-b");
    });

    const at = { kind: "jupyter-path", dir: "" } as const;
    const install = (p: Project, options: { name?: string; force?: boolean; displayName?: string } = {}) =>
      installKernel({ ...at, dir: jupyterPath }, { packageRoot: p.packageRoot, link: false, ...options });

    it("names the project in the display name, and installing again from the same project rewrites its kernel", function () {
      const first = install(a);
      assert.equal(first.spec.display_name, NAME_OF_A);
      assert.equal(first.spec.argv[1], join(a.packageRoot, "dist", "kernel", "main.js"));
      assert.equal(first.file, join(jupyterPath, "kernels", "nbresume", "kernel.json"));
      writeFileSync(first.file, JSON.stringify({ ...first.spec, argv: ["/old/node", ...first.spec.argv.slice(1)] }));
      const again = install(a);
      assert.equal(again.replaced, undefined);
      assert.equal(readSpec(again.dir).argv[0], process.execPath);
      assert.equal(install(a, { displayName: "TS for A" }).spec.display_name, "TS for A");
    });

    it("refuses to install over another project's kernel of that name, naming both projects, --name and --force, and leaves it as it was", function () {
      const theirs = install(a);
      const before = readFileSync(theirs.file, "utf8");
      assert.equal(suggestedKernelName(kernelProject(b.packageRoot)), "nbresume-project-b");
      assert.throws(
        () => install(b),
        (error: unknown) =>
          error instanceof NbresumeError &&
          error.code === KernelErrorCode.NAME_TAKEN &&
          error.message === kernelMessages.nameTaken("nbresume", theirs.file, a.root, b.root, "nbresume-project-b"),
      );
      assert.equal(readFileSync(theirs.file, "utf8"), before);

      const beside = install(b, { name: "nbresume-project-b" });
      assert.equal(beside.dir, join(jupyterPath, "kernels", "nbresume-project-b"));
      assert.equal(readSpec(beside.dir).display_name, "TypeScript (nbresume: project-b)");
      assert.equal(readFileSync(theirs.file, "utf8"), before);

      const forced = install(b, { force: true });
      assert.deepEqual(forced.replaced, { project: { root: a.root, name: "project-a" }, why: "forced" });
      assert.equal(readSpec(theirs.dir).argv[1], join(b.packageRoot, "dist", "kernel", "main.js"));
    });

    it("replaces a kernel whose project no longer exists (moved or deleted), saying whose it was", function () {
      install(a);
      rmSync(a.root, { recursive: true });
      const r = install(b);
      assert.deepEqual(r.replaced, { project: { root: a.root, name: "a" }, why: "gone" });
      assert.equal(readSpec(r.dir).argv[1], join(b.packageRoot, "dist", "kernel", "main.js"));
    });

    it("suggests a name from the project's package name in the characters Jupyter allows, and rejects names Jupyter would not take", function () {
      assert.equal(suggestedKernelName({ root: "/p/app", name: "@acme/My App" }), "nbresume-acme-my-app");
      assert.equal(suggestedKernelName({ root: "/src/main", name: "nbresume" }), "nbresume-main", "a checkout of nbresume: its directory");
      for (const name of ["..", ".", "Nbresume", "a/b", ""])
        assert.throws(
          () => install(a, { name }),
          (error: unknown) => error instanceof RangeError && error.message === kernelMessages.badName(name),
        );
      assert.ok(!existsSync(jupyterPath));
    });

    it("the CLI over another project's `nbresume` exits 1 with that message; --name installs beside it under its own display name, and status, uninstall and --force take it from there", function () {
      const theirs = install(a);
      const here = realpathSync(REPO_ROOT);
      const suggested = suggestedKernelName(kernelProject(here));
      const refused = nbresume(["kernel", "install", "--jupyter-path", jupyterPath]);
      assert.equal(refused.status, 1);
      assert.ok(refused.stderr.includes(kernelMessages.nameTaken("nbresume", theirs.file, a.root, here, suggested)), refused.stderr);
      assert.equal(readSpec(theirs.dir).argv[1], theirs.spec.argv[1]);

      const beside = nbresume(["kernel", "install", "--jupyter-path", jupyterPath, "--name", suggested, "--display-name", "TypeScript (checkout)"]);
      assert.equal(beside.status, 0, beside.stderr);
      const file = join(jupyterPath, "kernels", suggested, "kernel.json");
      assert.equal(beside.stdout.split("\n")[0], kernelMessages.installed(suggested, "TypeScript (checkout)", file));
      const list = spawnSync(jupyterBin(), ["kernelspec", "list", "--json"], {
        encoding: "utf8",
        env: { ...process.env, JUPYTER_PATH: jupyterPath, JUPYTER_DATA_DIR: join(tmp, "data"), JUPYTER_CONFIG_DIR: join(tmp, "config") },
      });
      assert.equal(list.status, 0, list.stderr);
      const specs = (JSON.parse(list.stdout) as { kernelspecs: Record<string, { spec: KernelSpec }> }).kernelspecs;
      assert.equal(specs.nbresume?.spec.display_name, NAME_OF_A);
      assert.equal(specs[suggested]?.spec.display_name, "TypeScript (checkout)");

      const mine = nbresume(["kernel", "status", "--name", suggested, "--jupyter-path", jupyterPath]);
      assert.equal(mine.status, 0, mine.stderr);
      assert.ok(mine.stdout.startsWith(messages.kernelFound(file, true)), mine.stdout);
      assert.ok(mine.stdout.includes("display  TypeScript (checkout)"), mine.stdout);
      const other = nbresume(["kernel", "status", "--jupyter-path", jupyterPath]);
      assert.equal(other.status, 0, other.stderr);
      assert.ok(other.stdout.includes(kernelMessages.otherProject(a.root, suggested)), other.stdout);

      const removed = nbresume(["kernel", "uninstall", "--name", suggested, "--jupyter-path", jupyterPath]);
      assert.equal(removed.status, 0, removed.stderr);
      assert.ok(!existsSync(file));
      assert.ok(existsSync(theirs.file), "only the kernel named");

      const forced = nbresume(["kernel", "install", "--force", "--jupyter-path", jupyterPath]);
      assert.equal(forced.status, 0, forced.stderr);
      assert.ok(forced.stderr.includes(kernelMessages.replaced("nbresume", a.root, "forced")), forced.stderr);
      assert.equal(readSpec(theirs.dir).argv[1], join(here, "dist", "kernel", "main.js"));
    });
  });

  it("npm run kernel:install (kernel/install.mjs) is `nbresume kernel install` with the same options", function () {
    const r = spawnSync(process.execPath, [INSTALL, "--jupyter-path", tmp], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readSpec(join(tmp, "kernels", "nbresume")).argv[1], join(REPO_ROOT, "dist", "kernel", "main.js"));
    const bad = spawnSync(process.execPath, [INSTALL, "--jupyter-path"], { encoding: "utf8" });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--jupyter-path needs a value/);
  });

  describe("the node_modules/nbresume self-link of a source checkout", function () {
    it("is created relative, then left alone; skipped without node_modules or when something else is there", function () {
      const checkout = join(tmp, "checkout");
      mkdirSync(join(checkout, "node_modules"), { recursive: true });
      const link = join(checkout, "node_modules", "nbresume");
      assert.deepEqual(ensureSelfLink(checkout), { status: "created", path: link });
      assert.ok(lstatSync(link).isSymbolicLink());
      assert.equal(readlinkSync(link), "..", "relative, so the checkout can move");
      assert.deepEqual(ensureSelfLink(checkout), { status: "present", path: link });

      const bare = join(tmp, "bare");
      mkdirSync(bare);
      assert.deepEqual(ensureSelfLink(bare), { status: "skipped", reason: "no-node-modules", path: join(bare, "node_modules", "nbresume") });
      const other = join(tmp, "other");
      mkdirSync(join(other, "node_modules"), { recursive: true });
      symlinkSync(tmp, join(other, "node_modules", "nbresume"));
      assert.deepEqual(ensureSelfLink(other), { status: "skipped", reason: "occupied", path: join(other, "node_modules", "nbresume") });
    });

    it("is not made for a package installed under node_modules", function () {
      const pkg = join(tmp, "project", "node_modules", "nbresume");
      mkdirSync(join(pkg, "node_modules"), { recursive: true });
      assert.deepEqual(ensureSelfLink(pkg), { status: "not-needed" });
      assert.ok(!existsSync(join(pkg, "node_modules", "nbresume")));
    });
  });

  describe("in a real kernel", function () {
    this.timeout(120_000);

    it("runs cells that use shorthand properties of earlier cells' names ({ model, data })", async function () {
      const server = await startJupyterServer();
      try {
        const kernel = await server.startKernel();
        const first = await kernel.execute("const model = { n: 2 }; const data = [1, 2, 3];");
        assert.equal(first.status, "ok", first.stderr);
        const second = await kernel.execute(
          [
            "const take = (o: { model: { n: number }; data: number[] }) => o.model.n * o.data.length;",
            "console.log('product', take({ model, data }));",
            "function local(model: number) { return { model }; }",
            "console.log('local', JSON.stringify(local(7)));",
          ].join("\n"),
        );
        assert.equal(second.status, "ok", second.stderr);
        assert.equal(second.stderr, "");
        assert.equal(second.stdout, 'product 6\nlocal {"model":7}\n');
      } finally {
        await server.close();
      }
    });
  });
});

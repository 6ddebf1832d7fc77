/**
 * scripts/test-setup.ts, which `npm test` runs first, run as npm runs it: a child process whose PATH
 * and Jupyter location are overridden so nothing real is found, and whose apt-get (and sudo, conda)
 * are recorders that write their argv to a file. A recorded `apt-get install` then "installs" a fake
 * jupyter and the font, so the check's second probe sees them.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readRequirements, type Requirement } from "../../scripts/test-setup.js";
import * as msg from "../../scripts/test-setup-messages.js";
import { REPO_ROOT } from "../support/jupyter-server.js";

const SCRIPT = join(REPO_ROOT, "scripts", "test-setup.ts");
const ROOT = process.getuid?.() === 0;
const VERSIONS: Readonly<Record<string, string>> = { jupyter_server: "2.14.0", nbconvert: "7.16.4", nbclient: "0.10.0", jupyter_client: "8.6.2" };

interface Sandbox {
  readonly dir: string;
  readonly bin: string;
  readonly jupyter: string;
  readonly fonts: string;
  readonly calls: string;
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** The commands the recorders saw, in order, as argv arrays with the recorder's name first. */
  recorded(): string[][];
}

function executable(path: string, body: string): void {
  writeFileSync(path, `#!${process.execPath}\n${body}\n`);
  chmodSync(path, 0o755);
}

/** A fake `jupyter` whose `--version` lists these packages like jupyter_core does. */
function fakeJupyter(path: string, calls: string, names: readonly string[]): void {
  const lines = [
    "Selected Jupyter core packages...",
    ...Object.keys(VERSIONS).map((n) => `${n.padEnd(17)}: ${names.includes(n) ? VERSIONS[n] : "not installed"}`),
  ];
  executable(
    path,
    [
      `require("node:fs").appendFileSync(${JSON.stringify(calls)}, JSON.stringify(["jupyter", ...process.argv.slice(2)]) + "\\n");`,
      `console.log(${JSON.stringify(lines.join("\n"))});`,
    ].join("\n"),
  );
}

function recorder(path: string, name: string, calls: string, after = ""): void {
  executable(
    path,
    [`require("node:fs").appendFileSync(${JSON.stringify(calls)}, JSON.stringify([${JSON.stringify(name)}, ...process.argv.slice(2)]) + "\\n");`, after].join(
      "\n",
    ),
  );
}

/**
 * apt-get that records its argv and, on `install`, "installs" what the list says those packages
 * provide: the fake jupyter lists their names, the font file appears. `failInstall` exits 100 instead.
 */
function fakeAptGet(box: Sandbox, options: { failInstall?: boolean } = {}): void {
  const provides = Object.fromEntries(readRequirements().map((r) => [r.package, r]));
  recorder(
    join(box.bin, "apt-get"),
    "apt-get",
    box.calls,
    `
const fs = require("node:fs"), path = require("node:path");
const args = process.argv.slice(2);
if (args[0] === "install") {
  if (${options.failInstall === true}) process.exit(100);
  const provides = ${JSON.stringify(provides)};
  const have = new Set(JSON.parse(fs.existsSync(${JSON.stringify(join(box.dir, "have.json"))}) ? fs.readFileSync(${JSON.stringify(join(box.dir, "have.json"))}, "utf8") : "[]"));
  for (const p of args.filter((a) => provides[a])) {
    const r = provides[p];
    if (r.kind === "font") { fs.mkdirSync(${JSON.stringify(box.fonts)}, { recursive: true }); fs.writeFileSync(path.join(${JSON.stringify(box.fonts)}, r.name), ""); }
    else have.add(r.name);
  }
  fs.writeFileSync(${JSON.stringify(join(box.dir, "have.json"))}, JSON.stringify([...have]));
  const versions = ${JSON.stringify(VERSIONS)};
  const lines = ["Selected Jupyter core packages...", ...Object.keys(versions).map((n) => n.padEnd(17) + ": " + (have.has(n) ? versions[n] : "not installed"))];
  fs.mkdirSync(path.dirname(${JSON.stringify(box.jupyter)}), { recursive: true });
  fs.writeFileSync(${JSON.stringify(box.jupyter)}, "#!" + process.execPath + "\\nconsole.log(" + JSON.stringify(lines.join("\\n")) + ");\\n");
  fs.chmodSync(${JSON.stringify(box.jupyter)}, 0o755);
}`,
  );
  if (!ROOT) {
    // Not root: the check uses `sudo -n`; a passwordless sudo that records and runs the command.
    recorder(
      join(box.bin, "sudo"),
      "sudo",
      box.calls,
      `
const args = process.argv.slice(2).filter((a) => a !== "-n");
if (args[0] === "true") process.exit(0);
process.exit(require("node:child_process").spawnSync(args[0], args.slice(1), { stdio: "inherit" }).status ?? 1);`,
    );
  }
}

function run(box: Sandbox, extra: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string; ms: number } {
  const t0 = Date.now();
  // node by absolute path: the child's PATH holds only the recorders.
  const r = spawnSync(process.execPath, ["--import", "tsx", SCRIPT], { encoding: "utf8", env: box.env(extra), cwd: REPO_ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

function describeAll(reqs: readonly Requirement[]): string[] {
  return reqs.map((r) => (r.kind === "jupyter" ? r.name : `the font ${r.name}`));
}

describe("test setup (scripts/test-setup.ts, run before npm test)", function () {
  this.timeout(30_000);
  let box: Sandbox;

  beforeEach(function () {
    const dir = mkdtempSync(join(tmpdir(), "nbresume-test-setup-"));
    const bin = join(dir, "bin");
    mkdirSync(bin);
    const calls = join(dir, "calls.jsonl");
    const jupyter = join(dir, "jupyter-env", "bin", "jupyter");
    const fonts = join(dir, "fonts");
    box = {
      dir,
      bin,
      jupyter,
      fonts,
      calls,
      env: (extra = {}) => {
        // Only what the check reads: nothing from this machine's PATH, Jupyter, fonts or conda.
        const env: NodeJS.ProcessEnv = { PATH: bin, HOME: join(dir, "home"), JUPYTER_BIN: jupyter, NBRESUME_FONT_DIRS: fonts, ...extra };
        return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
      },
      recorded: () =>
        existsSync(calls)
          ? readFileSync(calls, "utf8")
              .trim()
              .split("\n")
              .map((l) => JSON.parse(l) as string[])
          : [],
    };
  });

  afterEach(function () {
    rmSync(box.dir, { recursive: true, force: true });
  });

  it("installs every missing Debian package from the shared list with apt-get, saying which, then passes", function () {
    fakeAptGet(box);
    const packages = readRequirements().map((r) => r.package);
    const r = run(box);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines[0], msg.installing(packages, !ROOT));
    assert.equal(lines[1], msg.installed(packages));
    assert.match(lines[2] ?? "", /^test setup: found jupyter_server 2\.14\.0, nbconvert 7\.16\.4, nbclient 0\.10\.0, jupyter_client 8\.6\.2, DejaVuSans\.ttf/);
    const apt = box.recorded().filter((c) => c[0] === "apt-get");
    assert.deepEqual(apt, [
      ["apt-get", "update", "-qq"],
      ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "-o", "Dpkg::Use-Pty=0", ...packages],
    ]);
    if (!ROOT)
      assert.ok(
        box.recorded().some((c) => c[0] === "sudo" && c.includes("install")),
        "not root: apt-get runs through sudo -n",
      );
  });

  it("installs only the packages whose part is missing", function () {
    fakeAptGet(box);
    mkdirSync(join(box.fonts, "truetype", "dejavu"), { recursive: true });
    writeFileSync(join(box.fonts, "truetype", "dejavu", "DejaVuSans.ttf"), "");
    writeFileSync(join(box.dir, "have.json"), JSON.stringify(["jupyter_server", "jupyter_client"]));
    mkdirSync(join(box.dir, "jupyter-env", "bin"), { recursive: true });
    fakeJupyter(box.jupyter, box.calls, ["jupyter_server", "jupyter_client"]);
    const r = run(box);
    assert.equal(r.status, 0, r.stderr);
    const install = box.recorded().find((c) => c[0] === "apt-get" && c[1] === "install");
    assert.deepEqual(install?.slice(-2), ["jupyter-nbconvert", "python3-nbclient"]);
    assert.match(r.stdout, /found jupyter_server 2\.14\.0, nbconvert 7\.16\.4, nbclient 0\.10\.0, jupyter_client 8\.6\.2, DejaVuSans\.ttf/);
  });

  it("installs nothing when everything is found", function () {
    fakeAptGet(box);
    mkdirSync(box.fonts, { recursive: true });
    writeFileSync(join(box.fonts, "DejaVuSans.ttf"), "");
    mkdirSync(join(box.dir, "jupyter-env", "bin"), { recursive: true });
    fakeJupyter(box.jupyter, box.calls, Object.keys(VERSIONS));
    const r = run(box);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(box.recorded(), [["jupyter", "--version"]]);
    assert.equal(
      r.stdout.trim(),
      msg.allFound(["jupyter_server 2.14.0", "nbconvert 7.16.4", "nbclient 0.10.0", "jupyter_client 8.6.2", "DejaVuSans.ttf"], box.jupyter),
    );
  });

  it("stops at once with one message naming the packages and the apt-get command where it cannot install", function () {
    const reqs = readRequirements();
    const r = run(box);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      msg.missing(
        describeAll(reqs),
        reqs.map((q) => q.package),
        { conda: false, sudo: !ROOT, reason: msg.reasons.notDebian },
      ) + "\n",
    );
    assert.match(r.stderr, /apt-get install -y --no-install-recommends jupyter-server jupyter-nbconvert python3-nbclient jupyter-client fonts-dejavu-core/);
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
  });

  it("says the one conda command when conda is here and apt-get is not", function () {
    recorder(join(box.bin, "conda"), "conda", box.calls);
    const reqs = readRequirements();
    const r = run(box);
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      msg.missing(
        describeAll(reqs),
        reqs.map((q) => q.package),
        { conda: true, sudo: !ROOT, reason: msg.reasons.notDebian },
      ) + "\n",
    );
    assert.ok(r.stderr.includes(msg.CONDA_COMMAND));
    assert.deepEqual(box.recorded(), [], "conda is suggested, not run");
  });

  it("honours NBRESUME_TEST_SETUP=off: probes nothing, installs nothing, passes", function () {
    fakeAptGet(box);
    mkdirSync(join(box.dir, "jupyter-env", "bin"), { recursive: true });
    fakeJupyter(box.jupyter, box.calls, []);
    const r = run(box, { NBRESUME_TEST_SETUP: "off" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), msg.skipped());
    assert.deepEqual(box.recorded(), []);
  });

  it("with NBRESUME_TEST_SETUP=check reports what is missing and installs nothing", function () {
    fakeAptGet(box);
    const reqs = readRequirements();
    const r = run(box, { NBRESUME_TEST_SETUP: "check" });
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      msg.missing(
        describeAll(reqs),
        reqs.map((q) => q.package),
        { conda: false, sudo: !ROOT, reason: msg.reasons.checkOnly },
      ) + "\n",
    );
    assert.deepEqual(
      box.recorded().filter((c) => c[0] !== "jupyter"),
      [],
    );
  });

  it("rejects an unknown NBRESUME_TEST_SETUP value with exit code 2", function () {
    const r = run(box, { NBRESUME_TEST_SETUP: "yes" });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), msg.badMode("yes"));
  });

  it("stops with the failing command when apt-get install fails", function () {
    fakeAptGet(box, { failInstall: true });
    const r = run(box);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /^npm test cannot run the Jupyter and chart tests: missing .*`(\S+\/)?apt-get install -y -qq --no-install-recommends .*` failed \(exit 100\)\)\./,
    );
  });

  it("is the only place .ci/run gets its packages from", function () {
    const ci = readFileSync(join(REPO_ROOT, ".ci", "run"), "utf8");
    assert.match(ci, /scripts\/test-setup\.ts/);
    for (const r of readRequirements()) assert.ok(!ci.includes(r.package), `.ci/run names ${r.package} itself`);
  });
});

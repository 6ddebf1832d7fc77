/**
 * Runs before the suite (`npm test`'s pretest, and so .ci/run): finds what the Jupyter and chart
 * tests need outside npm and, where it is missing, installs it or stops with one message, instead of
 * dozens of tests failing one by one with "jupyter server did not start".
 *
 *   read scripts/test-packages.txt ─► probe (jupyter --version, font dirs) ─► all found: done
 *     ─► missing: NBRESUME_TEST_SETUP=check ─► stop with the commands
 *                 Debian + (root or sudo -n) ─► apt-get install the missing packages ─► probe again
 *                 otherwise ─► stop with the apt-get command, or the conda one where conda is here
 *
 * NBRESUME_TEST_SETUP=off skips all of it, for people who manage their own Jupyter. The probes
 * find Jupyter the way the tests do (test/support/jupyter-server.ts): $JUPYTER_BIN, else
 * /usr/bin/jupyter, else `jupyter` on PATH. NBRESUME_FONT_DIRS (colon-separated) replaces
 * fontconfig's default font directories that the font probe searches.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as msg from "./test-setup-messages.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const PACKAGES_FILE = join(REPO_ROOT, "scripts", "test-packages.txt");

export interface Requirement {
  /** The Debian package that provides it. */
  readonly package: string;
  readonly kind: "jupyter" | "font";
  /** For "jupyter": the name `jupyter --version` lists; for "font": a font file name. */
  readonly name: string;
}

/** scripts/test-packages.txt: `package  kind:name` per line, # comments. */
export function readRequirements(file = PACKAGES_FILE): Requirement[] {
  const requirements: Requirement[] = [];
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((raw, i) => {
      const line = raw.replace(/#.*/, "").trim();
      if (line === "") return;
      const m = /^(\S+)\s+(jupyter|font):(\S+)$/.exec(line);
      if (m === null) throw new Error(`${file}:${i + 1}: expected "package  jupyter:NAME" or "package  font:FILE", got "${line}"`);
      requirements.push({ package: m[1] as string, kind: m[2] as "jupyter" | "font", name: m[3] as string });
    });
  return requirements;
}

/** The executable `name` on the PATH of `env`, or undefined. */
function which(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The jupyter the tests would run, as test/support/jupyter-server.ts's jupyterBin() picks it. */
function findJupyter(env: NodeJS.ProcessEnv): string | undefined {
  if (env.JUPYTER_BIN) return existsSync(env.JUPYTER_BIN) ? env.JUPYTER_BIN : undefined;
  if (existsSync("/usr/bin/jupyter")) return "/usr/bin/jupyter";
  return which("jupyter", env);
}

/** `jupyter --version` as name → version, leaving out the "not installed" ones. */
function jupyterVersions(jupyter: string, env: NodeJS.ProcessEnv): Map<string, string> {
  const r = spawnSync(jupyter, ["--version"], { encoding: "utf8", env, timeout: 60_000 });
  const versions = new Map<string, string>();
  for (const line of `${r.stdout ?? ""}`.split("\n")) {
    const m = /^\s*([A-Za-z0-9_.-]+)\s*:\s*(\S.*?)\s*$/.exec(line);
    if (m !== null && m[2] !== "not installed") versions.set(m[1] as string, m[2] as string);
  }
  return versions;
}

/** Where fontconfig looks by default (/etc/fonts/fonts.conf), unless NBRESUME_FONT_DIRS says otherwise. */
function fontDirs(env: NodeJS.ProcessEnv): string[] {
  if (env.NBRESUME_FONT_DIRS !== undefined) return env.NBRESUME_FONT_DIRS.split(delimiter).filter((d) => d !== "");
  const home = env.HOME ?? homedir();
  return ["/usr/share/fonts", "/usr/local/share/fonts", join(env.XDG_DATA_HOME || join(home, ".local", "share"), "fonts"), join(home, ".fonts")];
}

function findFile(dir: string, name: string, depth: number): string | undefined {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) if (e.name === name && !e.isDirectory()) return join(dir, e.name);
  if (depth === 0) return undefined;
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const hit = findFile(join(dir, e.name), name, depth - 1);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

export interface Probe {
  /** "jupyter_server 2.14.0", "DejaVuSans.ttf" … for what was found. */
  readonly found: string[];
  readonly missing: Requirement[];
  readonly jupyter: string | undefined;
}

export function probe(requirements: readonly Requirement[], env: NodeJS.ProcessEnv): Probe {
  const jupyter = findJupyter(env);
  const versions = jupyter === undefined || !requirements.some((r) => r.kind === "jupyter") ? new Map<string, string>() : jupyterVersions(jupyter, env);
  const dirs = fontDirs(env);
  const found: string[] = [];
  const missing: Requirement[] = [];
  for (const r of requirements) {
    if (r.kind === "jupyter") {
      const version = versions.get(r.name);
      if (version === undefined) missing.push(r);
      else found.push(`${r.name} ${version}`);
    } else if (dirs.some((d) => findFile(d, r.name, 4) !== undefined)) found.push(r.name);
    else missing.push(r);
  }
  return { found, missing, jupyter };
}

function describe(r: Requirement): string {
  return r.kind === "jupyter" ? r.name : `the font ${r.name}`;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Runs the check; returns the exit code. Output goes to the given writers (the test reads them). */
export function runSetup(env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void): number {
  const raw = env[msg.SETUP_ENV] ?? "install";
  const mode = msg.SETUP_MODES.find((m) => m === raw);
  if (mode === undefined) {
    err(msg.badMode(raw));
    return 2;
  }
  if (mode === "off") {
    out(msg.skipped());
    return 0;
  }
  const requirements = readRequirements();
  const first = probe(requirements, env);
  if (first.missing.length === 0) {
    out(msg.allFound(first.found, first.jupyter ?? "none"));
    return 0;
  }
  const packages = unique(first.missing.map((r) => r.package));
  const root = process.getuid?.() === 0;
  const conda =
    (which("conda", env) !== undefined || (env.CONDA_EXE !== undefined && existsSync(env.CONDA_EXE))) && existsSync(join(REPO_ROOT, "environment.yml"));
  const stop = (missing: readonly Requirement[], reason: string): number => {
    err(msg.missing(unique(missing.map(describe)), unique(missing.map((r) => r.package)), { conda, sudo: !root, reason }));
    return 1;
  };
  if (mode === "check") return stop(first.missing, msg.reasons.checkOnly);
  const apt = which("apt-get", env);
  if (apt === undefined) return stop(first.missing, msg.reasons.notDebian);
  let prefix: string[] = [];
  if (!root) {
    const sudo = which("sudo", env);
    if (sudo === undefined || spawnSync(sudo, ["-n", "true"], { env, stdio: "ignore" }).status !== 0) return stop(first.missing, msg.reasons.noRoot);
    prefix = [sudo, "-n"];
  }

  out(msg.installing(packages, !root));
  const aptEnv = { ...env, DEBIAN_FRONTEND: "noninteractive" };
  const steps = [
    ["update", "-qq"],
    ["install", "-y", "-qq", "--no-install-recommends", "-o", "Dpkg::Use-Pty=0", ...packages],
  ];
  for (const step of steps) {
    const argv = [...prefix, apt, ...step];
    const r = spawnSync(argv[0] as string, argv.slice(1), { env: aptEnv, stdio: ["ignore", "ignore", "inherit"] });
    if (r.status !== 0) {
      const status = r.error !== undefined ? r.error.message : r.signal !== null ? `signal ${r.signal}` : `exit ${r.status}`;
      return stop(first.missing, msg.reasons.installFailed(argv.join(" "), status));
    }
  }
  const second = probe(requirements, env);
  if (second.missing.length > 0) return stop(second.missing, msg.reasons.stillMissing(packages));
  out(msg.installed(packages));
  out(msg.allFound(second.found, second.jupyter ?? "none"));
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = runSetup(
    process.env,
    (line) => console.log(line),
    (line) => console.error(line),
  );
}

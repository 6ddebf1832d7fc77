/**
 * The CLI tests run the real compiled entry (dist/cli/main.js) as a child process, the way
 * `npx nbresume` and the bin link run it. ensureBuilt() compiles with the project's tsc only
 * when some source file is newer than the compiled entry (`npm test` has just built it).
 */
import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI_ENTRY = path.join(ROOT, "dist", "cli", "main.js");

async function newestSourceMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestSourceMtime(full));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, (await fsp.stat(full)).mtimeMs);
  }
  return newest;
}

function exec(file: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : undefined) : 0;
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an ExecFileException is an Error; its Omit<> type hides that
      if (code === undefined) reject(error);
      else resolve({ code, stdout, stderr });
    });
  });
}

/** Compile src/ into dist/ unless dist/cli/main.js is newer than every source file. */
export async function ensureBuilt(): Promise<void> {
  const built = await fsp.stat(CLI_ENTRY).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  if (built > (await newestSourceMtime(path.join(ROOT, "src")))) return;
  const started = Date.now();
  const result = await exec(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"]);
  // tsc emits even when some other file in the tree has a type error; the type-check is its own step.
  const emitted = await fsp.stat(CLI_ENTRY).then(
    (s) => s.mtimeMs >= started - 1000,
    () => false,
  );
  if (!emitted) throw new Error(`tsc did not emit ${CLI_ENTRY} (exit ${result.code}):\n${result.stdout}${result.stderr}`);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `node dist/cli/main.js ...args`. */
export function nbresume(...args: string[]): Promise<CliResult> {
  return exec(process.execPath, [CLI_ENTRY, ...args]);
}

/** The same with more environment (AWS_* for a bucket). */
export function nbresumeIn(env: Readonly<Record<string, string>>, ...args: string[]): Promise<CliResult> {
  return exec(process.execPath, [CLI_ENTRY, ...args], { env: { ...process.env, ...env } });
}

/** Run it and parse stdout as the one JSON document --json promises. */
export async function nbresumeJson<T = Record<string, unknown>>(...args: string[]): Promise<{ code: number; json: T; stderr: string }> {
  const result = await nbresume(...args, "--json");
  let json: T;
  try {
    json = JSON.parse(result.stdout) as T;
  } catch (error) {
    throw new Error(`stdout of nbresume ${args.join(" ")} --json is not one JSON document (${(error as Error).message}):\n${result.stdout}\n${result.stderr}`);
  }
  return { code: result.code, json, stderr: result.stderr };
}

/**
 * A fixture script run with tsx in a child process, its output collected as it comes: tests send
 * it signals and wait for what it prints (interrupts, emergency saves, training steps).
 */
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { REPO_ROOT } from "./jupyter-server.js";

export interface WatchedChild {
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(sig: NodeJS.Signals): void;
  /**
   * Waits until `ready(stdout)` holds; a child that ends first, or a wait past `timeoutMs`, fails
   * with `never` (what was awaited) and both outputs, and the child is killed.
   */
  waitUntil(ready: (stdout: string) => boolean, never: string, timeoutMs: number): Promise<void>;
}

/** Runs `node --import tsx SCRIPT ...args` from the repository root. */
export function startWatchedChild(script: string, args: readonly string[]): WatchedChild {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("close", (code, signal) => r({ code, signal })));
  return {
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: (sig) => child.kill(sig),
    async waitUntil(ready, never, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!ready(out)) {
        if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
          child.kill("SIGKILL");
          throw new Error(`${never}; stdout:\n${out}\nstderr:\n${err}`);
        }
        await sleep(20);
      }
    },
  };
}

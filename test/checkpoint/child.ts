/** A node child process running a fixture from source (node --import tsx), speaking JSON lines. */
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export type ChildEvent = Record<string, unknown> & { event: string };

export class FixtureChild {
  readonly process: ChildProcess;
  readonly events: ChildEvent[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = "";
  private waiters: { test: (e: ChildEvent) => boolean; resolve: (e: ChildEvent) => void }[] = [];

  constructor(fixture: string, args: readonly string[], env: Record<string, string> = {}) {
    this.process = spawn(process.execPath, ["--import", "tsx", path.join(FIXTURES, fixture), ...args], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    this.process.stdin?.on("error", () => undefined); // EPIPE after the child died: expected in kill tests
    let pending = "";
    this.process.stdout?.on("data", (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.trim() === "") continue;
        const event = JSON.parse(line) as ChildEvent;
        this.events.push(event);
        this.waiters = this.waiters.filter((w) => {
          if (!w.test(event)) return true;
          w.resolve(event);
          return false;
        });
      }
    });
    this.process.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString("utf8");
    });
    this.exited = new Promise((resolve) => this.process.once("exit", (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  get errorOutput(): string {
    return this.stderr;
  }

  /** The first event (already seen or future) matching `test`; rejects if the child exits first. */
  async next(test: (e: ChildEvent) => boolean, timeoutMs = 30_000): Promise<ChildEvent> {
    const seen = this.events.find(test);
    if (seen) return seen;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        new Promise<ChildEvent>((resolve) => this.waiters.push({ test, resolve })),
        this.exited.then(({ code, signal }) => {
          const late = this.events.find(test);
          if (late) return late;
          throw new Error(`child ${this.pid} exited (code ${code}, signal ${signal}) before the expected event; stderr:\n${this.stderr}`);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out waiting for child ${this.pid}; stderr:\n${this.stderr}`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  send(line: string): void {
    this.process.stdin?.write(`${line}\n`);
  }

  /** Close stdin (the fixtures' signal to finish) and wait for the exit. */
  async finish(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.process.stdin?.end();
    return this.exited;
  }

  async kill(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill("SIGKILL");
    await this.exited; // reaped: its pid no longer exists, not even as a zombie
  }
}

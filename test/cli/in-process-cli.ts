/**
 * The CLI run in this process (runCli with captured streams, no colour): for tests that check what
 * a command prints without the cost of a child process per call (compiled-cli.ts runs dist/).
 */
import { Writable } from "node:stream";
import { runCli } from "../../src/cli/cli.js";

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join("") });
}

/** `nbresume ...argv` in this process: its exit code and what it wrote. */
export async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await runCli(argv, { stdout, stderr, env: { NO_COLOR: "1" } });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

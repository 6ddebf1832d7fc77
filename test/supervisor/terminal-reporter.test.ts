/** The supervisor in a terminal: cell output as it comes, one progress bar on a TTY, few lines in a log. */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { formatProgressText } from "../../src/run/progress-format.js";
import { runMessages } from "../../src/run/messages.js";
import { supervisorMessages as msg } from "../../src/supervisor/messages.js";
import { parseProgress } from "../../src/supervisor/progress-text.js";
import { TerminalReporter } from "../../src/supervisor/terminal-reporter.js";

class Sink extends Writable {
  text = "";
  constructor(
    readonly isTTY: boolean,
    readonly columns = 100,
  ) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function progressAt(step: number, notes: readonly string[] = []) {
  const p = parseProgress(
    formatProgressText(
      {
        step,
        total: 100,
        startStep: 0,
        fraction: step / 100,
        elapsedMs: 1000,
        stepsPerSecond: 10,
        etaMs: 1000,
        loss: 0.5,
        smoothedLoss: 0.5,
        nonFiniteLosses: 0,
        done: false,
      },
      { notes },
    ),
  );
  assert.ok(p !== undefined);
  return p;
}

const update = { msgType: "update_display_data", content: {} };

describe("the terminal reporter", function () {
  it("on a TTY redraws one progress bar in place and keeps printed lines above it", function () {
    const out = new Sink(true, 60);
    const err = new Sink(true);
    const r = new TerminalReporter({ stdout: out, stderr: err, color: false });
    r.output(update, progressAt(10));
    r.output({ msgType: "stream", content: { name: "stdout", text: "saved\n" } }, undefined);
    r.output(update, progressAt(20));
    r.cellEnded();
    const frames = out.text.split("\r\x1b[K");
    assert.ok(
      frames.some((f) => f.startsWith("saved\n")),
      JSON.stringify(out.text),
    );
    // eslint-disable-next-line no-control-regex -- matches the ANSI erase-line sequence, which starts with ESC
    assert.match(out.text, /\r\x1b\[K▕[█ ▏▎▍▌▋▊▉]+▏ step 20 \/ 100 \(20%\)/);
    assert.ok(
      frames.every((f) => f.split("\n").every((line) => [...line].length < 60)),
      "the bar fits the terminal",
    );
    assert.ok(out.text.endsWith("\n"), "the cell's end leaves the last bar on its own line");
  });

  it("without a TTY prints a progress line at most every interval, and the last one when the cell ends", function () {
    const out = new Sink(false);
    let now = 0;
    const r = new TerminalReporter({ stdout: out, stderr: new Sink(false), plainIntervalMs: 10_000, now: () => now });
    r.output(update, progressAt(1));
    now = 5_000;
    r.output(update, progressAt(2));
    now = 12_000;
    r.output(update, progressAt(3));
    r.output(update, progressAt(4));
    r.cellEnded();
    const lines = out.text.trim().split("\n");
    assert.deepEqual(
      lines.map((l) => /^step (\d+)/.exec(l)?.[1]),
      ["1", "3", "4"],
    );
    assert.ok(!out.text.includes("\r"));
  });

  it("names pictures in one line, sends stderr to stderr and events to stderr", function () {
    const out = new Sink(false);
    const err = new Sink(false);
    const r = new TerminalReporter({ stdout: out, stderr: err });
    r.output({ msgType: "display_data", content: { data: { "image/png": "iVBOR", "text/plain": "16 training digits\nmore" } } }, undefined);
    r.output({ msgType: "stream", content: { name: "stderr", text: "warning: x\n" } }, undefined);
    r.event("Kernel lost", "warn");
    r.cellStarted(0, 3, "import x");
    assert.equal(out.text, `${msg.displayNote("image/png", "16 training digits")}\n`);
    assert.equal(err.text, `warning: x\nKernel lost\n${msg.cellStarted(0, 3, "import x")}\n`);
  });

  it("prints a table's text whole (the config changes matter in an unattended run's log), and a long one cut with how many lines it had", function () {
    const out = new Sink(false);
    const r = new TerminalReporter({ stdout: out, stderr: new Sink(false) });
    const table = "Config changes since the checkpoint\nsetting  checkpoint → now\nsteps    300 → 400 (allowed)";
    r.output({ msgType: "display_data", content: { data: { "text/html": "<table>…</table>", "text/plain": table } } }, undefined);
    assert.equal(out.text, `${table}\n`);
    const long = Array.from({ length: 45 }, (_, i) => `row ${i}`).join("\n");
    r.output({ msgType: "display_data", content: { data: { "text/html": "<table>…</table>", "text/plain": long } } }, undefined);
    assert.ok(out.text.endsWith(`row 39\n${msg.moreLines(5)}\n`), out.text);
  });

  it("says it when the run's mirror starts failing, once, and when it recovers (the progress line leaves the notes out)", function () {
    const out = new Sink(false);
    const err = new Sink(false);
    const r = new TerminalReporter({ stdout: out, stderr: err, color: false, plainIntervalMs: 0 });
    const target = "s3://bucket/run";
    const uploading = runMessages.mirrorNote(target, undefined, 1, undefined, 0, undefined);
    const failing = (n: number) => runMessages.mirrorNote(target, undefined, 2, "ckpt-step-00000040-rolling", n, "connect ECONNREFUSED 127.0.0.1:4731");
    const upToDate = runMessages.mirrorNote(target, undefined, 0, "ckpt-step-00000080-rolling", 0, undefined);
    for (const [step, note] of [
      [10, uploading],
      [20, failing(1)],
      [30, failing(2)],
      [40, failing(3)],
      [50, upToDate],
      [60, upToDate],
    ] as const)
      r.output(update, progressAt(step, [note]));
    assert.deepEqual(
      err.text.split("\n").filter((l) => l.startsWith("mirror ")),
      [failing(1), upToDate],
    );
    assert.ok(!out.text.includes("mirror "), "the progress lines stay one line each");
  });
});

import { strict as assert } from "node:assert";
import fc from "fast-check";
import { ProgressTracker, type ProgressSnapshot } from "../../src/run/progress.js";
import {
  formatProgressHtml,
  formatProgressLine,
  formatProgressMarkdown,
  formatProgressText,
  progressBar,
  progressBundle,
} from "../../src/run/progress-format.js";
import { progressMessages } from "../../src/run/progress-messages.js";

function snapshot(overrides: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return {
    step: 12_000,
    total: 50_000,
    startStep: 10_000,
    fraction: 0.24,
    elapsedMs: 56_800,
    stepsPerSecond: 35.2,
    etaMs: (38_000 / 35.2) * 1000,
    loss: 0.0393,
    smoothedLoss: 0.03016,
    nonFiniteLosses: 0,
    done: false,
    ...overrides,
  };
}

describe("run/progress-format", () => {
  it("draws a bar of exactly the given width, in eighths", () => {
    assert.equal(progressBar(0, 10), " ".repeat(10));
    assert.equal(progressBar(1, 10), "█".repeat(10));
    assert.equal(progressBar(0.5, 10), "█████     ");
    assert.equal(progressBar(0.0625, 4), "▎   ", "a quarter of a cell is 2 eighths");
    assert.equal(progressBar(0.55, 10, true), "#####-----");
    assert.equal(progressBar(NaN, 3), "   ");
    for (let i = 0; i <= 100; i++) assert.equal([...progressBar(i / 100, 17)].length, 17);
  });

  it("shows step/total, bar, percent, rate, ETA and smoothed loss in one 80-column line", () => {
    const line = formatProgressLine(snapshot());
    assert.equal(line, "step 12,000/50,000 ▕███▎          ▏ 24% · 35.2 it/s · ETA 17m59s · loss 0.03016");
    assert.ok([...line].length <= 79);
  });

  it("drops the least important fields first when the terminal is narrow", () => {
    const s = snapshot();
    const wide = formatProgressLine(s, { width: 160, title: "mnist", epoch: 3, status: "saving…" });
    for (const part of ["mnist ", "epoch 3", "saving…", "56s", "loss", "ETA", "it/s", "24%"]) assert.ok(wide.includes(part), part);
    assert.equal(formatProgressLine(s, { width: 60 }), "step 12,000/50,000 ▕█████                ▏ 24% · ETA 17m59s");
    assert.equal(formatProgressLine(s, { width: 40 }), "step 12,000/50,000 ▕███▎          ▏ 24%");
    assert.equal(formatProgressLine(s, { width: 24 }), "step 12,000/50,000");
  });

  it("never exceeds width − 1 columns, whatever the numbers (property)", () => {
    const arbitrarySnapshot = fc.record({
      step: fc.integer({ min: 0, max: 1e9 }),
      total: fc.integer({ min: 0, max: 1e9 }),
      elapsedMs: fc.double({ min: 0, max: 1e12, noNaN: true }),
      stepsPerSecond: fc.option(fc.double({ min: 1e-6, max: 1e7, noNaN: true }), { nil: undefined }),
      loss: fc.option(fc.double(), { nil: undefined }),
      smoothedLoss: fc.option(fc.double({ noNaN: true }), { nil: undefined }),
      done: fc.boolean(),
    });
    fc.assert(
      fc.property(
        arbitrarySnapshot,
        fc.integer({ min: 20, max: 200 }),
        fc.boolean(),
        fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
        (r, width, ascii, status) => {
          const s = snapshot({
            ...r,
            fraction: r.total === 0 ? 1 : Math.min(1, r.step / r.total),
            etaMs: r.stepsPerSecond === undefined ? undefined : (Math.max(0, r.total - r.step) / r.stepsPerSecond) * 1000,
          });
          const line = formatProgressLine(s, { width, ascii, ...(status === undefined ? {} : { status }), epoch: 12 });
          return [...line].length <= width - 1 && !line.includes("\n");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("flags a NaN loss in the line instead of showing the stale average", () => {
    const line = formatProgressLine(snapshot({ loss: NaN, nonFiniteLosses: 1 }));
    assert.ok(line.includes(" · loss NaN!"), line);
  });

  it("says done instead of an ETA at the end, and works on a live tracker", () => {
    const t = new ProgressTracker({ total: 3, startTimeMs: 0 });
    t.record(1, 1000, 0.5);
    t.record(2, 2000, 0.4);
    t.record(3, 3000, 0.3);
    const line = formatProgressLine(t.snapshot(3000), { ascii: true });
    assert.ok(line.startsWith("step 3/3 [#"), line);
    assert.ok(line.includes(" 100% · 1.0 it/s · done · loss "), line);
  });

  it("formats the notebook display as plain text, HTML and markdown with the same content", () => {
    const context = {
      title: "mnist-diffusion",
      status: "training",
      epoch: 3,
      validationLoss: 0.0291,
      lastCheckpoint: { step: 12_000, kind: "rolling" },
      notes: ["checkpoints use 1.20 GiB"],
    };
    const s = snapshot({ nonFiniteLosses: 2 });
    const text = formatProgressText(s, context);
    assert.equal(
      text,
      [
        "mnist-diffusion · training",
        "step 12,000 / 50,000 (24%) · resumed at 10,000",
        "35.2 it/s · ETA 17m59s · elapsed 56s · epoch 3",
        "loss 0.0393 · smoothed 0.03016 · validation 0.0291 · checkpoint step 12,000 (rolling)",
        "2 non-finite losses (NaN/inf) so far",
        "checkpoints use 1.20 GiB",
      ].join("\n"),
    );
    const html = formatProgressHtml(s, context);
    assert.ok(html.startsWith('<div class="nbresume-progress"'));
    assert.ok(html.includes('<progress value="0.2400" max="1"'));
    for (const line of text.split("\n")) assert.ok(html.includes(line), `HTML has "${line}"`);
    assert.ok(html.includes('<div style="color:#c00000">2 non-finite losses'), "warnings in red");
    const md = formatProgressMarkdown(s, context);
    assert.ok(md.startsWith("**mnist-diffusion · training**  \n`####----------------` step 12,000 / 50,000 (24%)"), md);
    assert.deepEqual(progressBundle(s, context), { "text/plain": text, "text/html": html, "text/markdown": md });
  });

  it("escapes HTML and markdown in user-supplied text", () => {
    const s = snapshot();
    const html = formatProgressHtml(s, { title: "<script>alert(1)</script>", notes: ["a & b"] });
    assert.ok(!html.includes("<script>"));
    assert.ok(html.includes("&#60;script&#62;") && html.includes("a &#38; b"));
    assert.ok(formatProgressMarkdown(s, { title: "run_*1*" }).startsWith("**run\\_\\*1\\***"));
  });

  it("rejects a width below 20 columns", () => {
    assert.throws(
      () => formatProgressLine(snapshot(), { width: 10 }),
      (e: unknown) => e instanceof RangeError && e.message === progressMessages.badWidth(10),
    );
  });
});

/** The training's position read from the very text the run's live display sends. */
import assert from "node:assert/strict";
import { formatProgressText } from "../../src/run/progress-format.js";
import { parseProgress } from "../../src/supervisor/progress-text.js";

const snapshot = {
  step: 1_200,
  total: 3_000,
  startStep: 900,
  fraction: 0.4,
  elapsedMs: 9_000,
  stepsPerSecond: 35.2,
  etaMs: 51_000,
  loss: 0.04,
  smoothedLoss: 0.03,
  nonFiniteLosses: 0,
  done: false,
};

describe("progress read from a run's live display", function () {
  it("finds step, total and the resume step in the run's own progress text, without its notes", function () {
    const text = formatProgressText(snapshot, { title: "mnist-diffusion", status: "training", epoch: 2, notes: ["disk: 3 checkpoints"] });
    const p = parseProgress(text);
    assert.ok(p !== undefined, text);
    assert.equal(p.step, 1_200);
    assert.equal(p.total, 3_000);
    assert.equal(p.resumedAt, 900);
    assert.match(p.lines[0] ?? "", /^step 1,200 \/ 3,000 \(40%\)/);
    assert.ok(p.lines.length <= 3 && !p.lines.some((l) => l.includes("disk:")), p.lines.join("\n"));
  });

  it("reads a run that did not resume, and says nothing about other displays", function () {
    assert.equal(parseProgress(formatProgressText({ ...snapshot, startStep: 0 }))?.resumedAt, undefined);
    assert.equal(parseProgress("16 training digits"), undefined);
    assert.equal(parseProgress("a step 3 / 4 (75%) in prose"), undefined);
  });
});

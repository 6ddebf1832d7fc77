/**
 * One smoothed loss: the live text, the loss chart's smoothed line, the resume line, the preview
 * captions, the checkpoint's "loss" metric and TrainResult.loss are the same number — the
 * bias-corrected EMA (β 0.98) of every step's loss — bitwise, also after an interrupt and resume.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { emaSeries } from "../../src/shared/ema.js";
import { LOSS_CHART_SERIES } from "../../src/render/loss-chart-spec.js";
import { formatLoss } from "../../src/shared/format.js";
import { parseMetrics } from "../../src/run/metrics-log.js";
import { LOSS_SMOOTHING } from "../../src/run/smoothed-loss.js";
import { mlpRun } from "./mlp-run.js";
import { RecordingOutput } from "./recording-output.js";

describe("resumable(): one smoothed loss everywhere", function () {
  this.timeout(120_000);
  let root: string;

  before(function () {
    root = mkdtempSync(join(tmpdir(), "nbresume-smooth-"));
  });

  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("the text, the chart, the captions, the checkpoint's metric and the result say the same loss, the EMA of every step's loss", async function () {
    const dir = join(root, "one");
    const out = new RecordingOutput(true);
    const r = await (await mlpRun(dir, { output: out })).train();
    const losses = parseMetrics(readFileSync(join(dir, "metrics.jsonl"))).lines.map((l) => l["loss"] as number);
    const ema = emaSeries(losses, LOSS_SMOOTHING).at(-1)!;
    assert.equal(r.loss, ema, "bitwise the chart's arithmetic");

    const last = out.views.at(-1)!;
    assert.equal(last.snapshot.smoothedLoss, ema, "the live text");
    // The chart drawn with it: its smoothed line ends on the same bits, and its subtitle says so.
    const spec = (
      last.chart as unknown as { spec: { title: { subtitle: string[] }; layer: { data: { values: { step: number; loss: number; series: string }[] } }[] } }
    ).spec;
    const smoothedLine = spec.layer.flatMap((l) => l.data.values).filter((v) => v.series === LOSS_CHART_SERIES.smoothed.name);
    assert.deepEqual([smoothedLine.at(-1)?.step, smoothedLine.at(-1)?.loss], [120, ema]);
    assert.ok(spec.title.subtitle[0]?.includes(`(smoothed ${formatLoss(ema)})`), spec.title.subtitle.join(" | "));

    const store = await CheckpointStore.open(dir, { readOnly: true });
    const final = await store.load("step:120");
    await store.close();
    assert.equal(final.metrics["loss"], ema, "the checkpoint's loss metric");
    const caption = String(last.grid?.bundle["text/plain"]);
    assert.ok(caption.startsWith(`step 120 · loss ${formatLoss(ema)} · final checkpoint`), `the caption: ${caption}`);

    const again = new RecordingOutput();
    await (await mlpRun(dir, { output: again })).train();
    assert.ok(
      again.texts("info").some((t) => t.startsWith(`Found ckpt-step-00000120-final: step 120 · epoch 0 · loss ${formatLoss(ema)} ·`)),
      "the resume line",
    );
  });

  it("continues the same number after an interrupt: a resumed run ends with the uninterrupted run's loss, bitwise", async function () {
    const whole = await (await mlpRun(join(root, "whole"))).train();
    const dir = join(root, "resumed");
    await (await mlpRun(dir, { steps: 57 })).train();
    const resumed = await (await mlpRun(dir)).train();
    assert.equal(resumed.loss, whole.loss);
  });
});

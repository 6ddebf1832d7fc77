/**
 * The run's record beside its checkpoints: metrics.jsonl (every step exactly once, in order, after
 * interrupts, resumes, a torn last line and lines past the checkpoint a crash left behind),
 * loss.png redrawn at each checkpoint, summary.json at the end of each train().
 */
import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodePng } from "../../src/render/image.js";
import { MetricsLog, parseMetrics } from "../../src/run/metrics-log.js";
import type { ResumableOptions } from "../../src/run/run.js";
import { mlpRun } from "./mlp-run.js";

function lines(dir: string): Record<string, unknown>[] {
  return parseMetrics(readFileSync(join(dir, "metrics.jsonl"))).lines;
}

function steps(dir: string): number[] {
  return lines(dir).map((l) => l["step"] as number);
}

const ONE_TO = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

function stopAfter(controller: AbortController, n: number): () => number {
  let calls = 0;
  return () => {
    calls++;
    if (calls === n + 2) controller.abort();
    return calls;
  };
}

describe("resumable(): the run's record (metrics.jsonl, loss.png, summary.json)", function () {
  this.timeout(120_000);
  let root: string;

  before(function () {
    root = mkdtempSync(join(tmpdir(), "nbresume-record-"));
  });

  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("writes one line per step — loss, smoothed loss, lr, gradient norm, time, val_* on evaluation steps — and keeps every step once after an interrupt and resume", async function () {
    const dir = join(root, "interrupted");
    const controller = new AbortController();
    const options: Partial<ResumableOptions> = { steps: 120 };
    const first = await (await mlpRun(dir, { ...options, clock: stopAfter(controller, 55) })).train({ signal: controller.signal });
    assert.equal(first.step, 55);
    assert.deepEqual(steps(dir), ONE_TO(55), "flushed with the emergency checkpoint");
    await (await mlpRun(dir, options)).train();
    const all = lines(dir);
    assert.deepEqual(
      all.map((l) => l["step"]),
      ONE_TO(120),
    );
    const line40 = all[39]!;
    assert.deepEqual(Object.keys(line40), ["step", "epoch", "loss", "smoothed_loss", "lr", "grad_norm", "time", "val_loss", "val_accuracy"]);
    assert.ok(all.every((l) => typeof l["loss"] === "number" && typeof l["lr"] === "number" && !Number.isNaN(Date.parse(l["time"] as string))));
    assert.equal(
      all
        .filter((l) => "val_loss" in l)
        .map((l) => l["step"])
        .join(","),
      "40,80,120",
    );

    const whole = join(root, "whole");
    await (await mlpRun(whole, options)).train();
    const strip = (ls: Record<string, unknown>[]): unknown[] => ls.map(({ time: _t, ...rest }) => rest);
    assert.deepEqual(strip(all), strip(lines(whole)), "the same numbers as an uninterrupted run's");
  });

  it("cuts a torn last line and lines past the resumed checkpoint cleanly, so a rerun never writes a step twice", async function () {
    const dir = join(root, "torn");
    await (await mlpRun(dir, { steps: 40 })).train();
    // A crash after metrics.jsonl was flushed for a checkpoint that never committed, mid-line.
    appendFileSync(join(dir, "metrics.jsonl"), '{"step":41,"epoch":0,"loss":1}\n{"step":42,"epo');
    await (await mlpRun(dir, { steps: 80 })).train();
    assert.deepEqual(steps(dir), ONE_TO(80));
    assert.ok(readFileSync(join(dir, "metrics.jsonl"), "utf8").endsWith("}\n"));
  });

  it("opens for a resume from the last step it has, and says what is missing when it has fewer", async function () {
    const dir = join(root, "missing");
    await (await mlpRun(dir, { steps: 40 })).train();
    const opened = await MetricsLog.open(dir, 40);
    assert.equal(opened.losses?.length, 40);
    const short = await MetricsLog.open(dir, 50);
    assert.deepEqual(short.note, { kind: "missing", has: 40, resumed: 50 });
    assert.equal(short.losses, undefined);
  });

  it("draws loss.png at each checkpoint and writes summary.json at the end of each train()", async function () {
    const dir = join(root, "files");
    const r = await (await mlpRun(dir)).train();
    const png = await decodePng(readFileSync(join(dir, "loss.png")));
    assert.ok(png.width >= 600 && png.height >= 280, `${png.width}×${png.height}`);
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as Record<string, unknown>;
    assert.equal(summary["status"], "finished");
    assert.equal(summary["step"], 120);
    assert.equal(summary["stoppedBecause"], "trained to step 120");
    assert.equal(summary["loss"], r.loss);
    assert.deepEqual(summary["checkpoint"], { ...r.checkpoint });
    assert.equal((summary["best"] as { metric: string }).metric, "val_loss");
    assert.ok(typeof summary["trainedSeconds"] === "number" && summary["trainedSeconds"] > 0);
    assert.ok(existsSync(join(dir, "metrics.jsonl")));
  });
});

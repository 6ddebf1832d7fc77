/**
 * The divergence guard in real runs. A learning rate of 1e6 drives the classifier to a non-finite
 * loss within a few steps; a training set with one NaN image gives a non-finite loss on exactly the
 * batches holding it. Nothing non-finite is applied or saved, whatever onNonFinite says; "stop"
 * ends the run with what to do, "skip-step" skips those batches, "rollback" goes back to the newest
 * checkpoint past them — and metrics.jsonl keeps every step once, in order. A checkpoint planted
 * with NaN weights (intact files, good metrics) is never resumed by auto.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import type { Dataset } from "../../src/engine/data/dataset.js";
import { fromArrays } from "../../src/engine/data/from-arrays.js";
import { constantLr } from "../../src/engine/optim/schedules.js";
import { runMessages as msg } from "../../src/run/messages.js";
import { parseMetrics } from "../../src/run/metrics-log.js";
import { nonFiniteTensors } from "../../src/run/resume-plan.js";
import type { ResumableOptions } from "../../src/run/run.js";
import { mlpRun, mnistOnce } from "./mlp-run.js";
import { RecordingOutput } from "./recording-output.js";
import { assertSameModel } from "./same-model.js";

/** The first 2,000 training images, the 500th made NaN. */
async function poisoned(): Promise<{ train: Dataset; test: Dataset }> {
  const { train, test } = await mnistOnce();
  const n = 2000;
  const images = (train.columns["images"]!.data as Float32Array).slice(0, n * 784);
  images.fill(Number.NaN, 499 * 784, 500 * 784);
  const labels = (train.columns["labels"]!.data as Uint8Array).slice(0, n);
  return {
    train: fromArrays(
      "poisoned",
      { images: { dtype: "float32", shape: [784], data: images }, labels: { dtype: "uint8", data: labels } },
      { classes: 10, imageShape: [28, 28] },
    ),
    test,
  };
}

function readState(checkpoint: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(checkpoint, "state.json"), "utf8")) as Record<string, unknown>;
}

function metricLines(dir: string): Record<string, unknown>[] {
  return parseMetrics(readFileSync(join(dir, "metrics.jsonl"))).lines;
}

async function allFinite(dir: string): Promise<void> {
  const store = await CheckpointStore.open(dir, { readOnly: true });
  try {
    for (const c of (await store.list()).checkpoints) {
      assert.ok(Object.values(c.metrics).every(Number.isFinite), `${c.name}: ${JSON.stringify(c.metrics)}`);
      assert.equal(nonFiniteTensors((await store.load(c)).tensors["model"]), undefined, c.name);
    }
  } finally {
    await store.close();
  }
}

describe("resumable(): the divergence guard (onNonFinite)", function () {
  this.timeout(180_000);
  let root: string;

  before(function () {
    root = mkdtempSync(join(tmpdir(), "nbresume-guard-"));
  });

  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("stops a run driven to NaN by a huge learning rate, saving nothing non-finite, and says what to do; a rerun resumes the last good checkpoint", async function () {
    const dir = join(root, "huge-lr");
    const out = new RecordingOutput();
    const r = await (await mlpRun(dir, { schedule: constantLr(1e6), checkpointEvery: 1, evalEvery: false, output: out })).train();
    assert.equal(r.status, "diverged");
    assert.ok(r.step < 120);
    const warning = out.texts("warn").at(-1) ?? "";
    assert.match(
      warning,
      new RegExp(
        `^Stopped at step ${r.step + 1}: the (loss|gradient norm) is (NaN|Infinity|-Infinity) — not applied, nothing non-finite saved; the newest checkpoint is ckpt-step-\\d{8}-rolling\\. Lower the learning rate`,
      ),
    );
    assert.match(r.stoppedBecause, /^the (loss|gradient norm) is \S+ at step \d+$/);
    await allFinite(dir);
    // The rerun resumes the newest checkpoint whose previews pass validation: the last steps before
    // the NaN already predict non-finite logits, and are passed over, said so.
    const rerun = new RecordingOutput();
    const again = await (await mlpRun(dir, { schedule: constantLr(1e6), checkpointEvery: 1, evalEvery: false, output: rerun })).train();
    assert.ok(again.startStep <= r.checkpoint!.step && again.startStep > 0);
    const passedOver = rerun
      .texts("warn")
      .filter((w) => / fails validation: the 'image-predictions' preview's logits hold \d+ of \d+ values that are not finite/.test(w));
    assert.equal(passedOver.length, r.checkpoint!.step - again.startStep, rerun.texts("warn").join("\n"));
  });

  it('"skip-step" skips the batches whose loss is NaN and trains on; skipped steps are in metrics.jsonl and the summary, and a resumed run skips the same ones, bitwise', async function () {
    const data = await poisoned();
    const options: Partial<ResumableOptions> = { data, steps: 160, checkpointEvery: 40, evalEvery: false, onNonFinite: "skip-step", preview: false };
    const out = new RecordingOutput();
    const whole = await (await mlpRun(join(root, "skip-whole"), { ...options, output: out })).train();
    assert.equal(whole.status, "finished");
    const skipped = metricLines(join(root, "skip-whole")).filter((l) => l["skipped"] === "loss");
    assert.ok(skipped.length >= 1, "the poisoned image came up");
    assert.ok(
      out.texts("event").some((e) => e === msg.stepReport(skipped[0]!["step"] as number, [msg.skippedStep(msg.nonFiniteDetail("loss", Number.NaN))])),
      out.texts("event").join("\n"),
    );
    const summary = JSON.parse(readFileSync(join(root, "skip-whole", "summary.json"), "utf8")) as { skippedSteps: number };
    assert.equal(summary.skippedSteps, skipped.length);
    await allFinite(join(root, "skip-whole"));

    const dir = join(root, "skip-resumed");
    await (await mlpRun(dir, { ...options, steps: 100 })).train();
    const resumed = await (await mlpRun(dir, options)).train();
    await assertSameModel(whole.checkpoint!.path, resumed.checkpoint!.path);
  });

  it('"rollback" goes back to the newest checkpoint past the batch that diverged, and metrics.jsonl keeps every step once, in order', async function () {
    const data = await poisoned();
    const dir = join(root, "rollback");
    const out = new RecordingOutput();
    const r = await (
      await mlpRun(dir, { data, steps: 160, checkpointEvery: 10, evalEvery: false, onNonFinite: "rollback", preview: false, output: out })
    ).train();
    assert.equal(r.status, "finished");
    const rolled = out
      .texts("warn")
      .filter((w) =>
        /^Step \d+: the loss is NaN — rolled back to ckpt-step-\d{8}-rolling \(step \d+\), with the data moved past the batch that diverged/.test(w),
      );
    assert.ok(rolled.length >= 1, out.texts("warn").join("\n"));
    assert.deepEqual(
      metricLines(dir).map((l) => l["step"]),
      Array.from({ length: 160 }, (_, i) => i + 1),
    );
    await allFinite(dir);
    // The run's book goes on after the roll-back: the final checkpoint's loss history reaches the
    // last step, and its smoothed loss is the one metrics.jsonl ends with.
    const final = JSON.parse(readFileSync(join(r.checkpoint!.path, "state.json"), "utf8")) as {
      metrics: { loss: number };
      history: { train: [number, number][]; pending: { step: number } | null };
    };
    const lastRecorded = final.history.pending?.step ?? final.history.train.at(-1)![0];
    assert.equal(lastRecorded, 160);
    assert.equal(final.metrics.loss, metricLines(dir).at(-1)!["smoothed_loss"]);
  });

  it("a run that rolled back, stopped after the roll-back and resumed, ends bitwise where the uninterrupted one does: model, EMA and its book", async function () {
    const data = await poisoned();
    const options: Partial<ResumableOptions> = {
      data,
      steps: 160,
      checkpointEvery: 10,
      evalEvery: false,
      onNonFinite: "rollback",
      preview: false,
      ema: { decay: 0.9 },
    };
    const whole = await (await mlpRun(join(root, "rollback-whole"), options)).train();
    const dir = join(root, "rollback-resumed");
    const out = new RecordingOutput();
    await (await mlpRun(dir, { ...options, steps: 130, output: out })).train();
    assert.ok(
      out.texts("warn").some((w) => w.includes("rolled back to")),
      `the roll-back happens before the stop: ${out.texts("warn").join("\n")}`,
    );
    const resumed = await (await mlpRun(dir, options)).train();
    assert.equal(resumed.startStep, 130);
    await assertSameModel(whole.checkpoint!.path, resumed.checkpoint!.path);
    const [a, b] = [whole, resumed].map((r) => readState(r.checkpoint!.path));
    assert.ok(a!.history !== undefined && a!.smoothing !== undefined && a!.ema !== undefined, Object.keys(a!).join());
    assert.deepEqual(b!.history, a!.history);
    assert.deepEqual(b!.smoothing, a!.smoothing);
    assert.deepEqual(b!.ema, a!.ema);
    const emaOf = async (path: string): Promise<Buffer[]> => {
      const store = await CheckpointStore.open(dirname(path), { readOnly: true });
      try {
        return Object.values((await store.load(path)).tensors["ema"] ?? {}).map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      } finally {
        await store.close();
      }
    };
    const [ea, eb] = [await emaOf(whole.checkpoint!.path), await emaOf(resumed.checkpoint!.path)];
    assert.ok(ea.length > 0, "the EMA is saved");
    assert.ok(
      ea.every((x, i) => x.equals(eb[i]!)),
      "the EMA weights are bitwise the same",
    );
  });

  it('"stop" (the default) ends the run at the batch whose loss is NaN, without applying it', async function () {
    const data = await poisoned();
    const skipping = await (
      await mlpRun(join(root, "find"), { data, steps: 160, checkpointEvery: 1000, evalEvery: false, onNonFinite: "skip-step", preview: false })
    ).train();
    assert.equal(skipping.status, "finished");
    const bad = metricLines(join(root, "find")).find((l) => l["skipped"] !== undefined)!["step"] as number;
    const r = await (await mlpRun(join(root, "stop"), { data, steps: 160, checkpointEvery: 1000, evalEvery: false, preview: false })).train();
    assert.equal(r.status, "diverged");
    assert.equal(r.step, bad - 1, "the step before the NaN batch is the last one applied");
    assert.equal(r.stoppedBecause, `the loss is NaN at step ${bad}`);
  });

  it("never resumes a planted checkpoint with NaN weights (intact files, good metrics): auto passes over it, and says so", async function () {
    const dir = join(root, "planted");
    await (await mlpRun(dir, { steps: 40, evalEvery: false, preview: false })).train();
    const store = await CheckpointStore.open(dir);
    const good = (await store.list()).checkpoints.at(-1)!;
    const loaded = await store.load(good);
    const model = loaded.tensors["model"]!;
    (Object.values(model)[0]!.data as Float32Array)[3] = Number.NaN;
    const reserved = new Set(["format", "nbresume", "kind", "step", "epoch", "metrics"]);
    const state = Object.fromEntries(Object.entries(loaded.state).filter(([k]) => !reserved.has(k)));
    const step = good.step + 1;
    await store.save({
      kind: "rolling",
      step,
      tensors: loaded.tensors,
      state: { ...state, training: { ...(state["training"] as object), step } },
      metrics: { loss: 1e-3 },
    });
    await store.close();
    const out = new RecordingOutput();
    const r = await (await mlpRun(dir, { steps: 60, evalEvery: false, preview: false, output: out })).train();
    assert.equal(r.resumedFrom?.name, good.name);
    assert.ok(
      out
        .texts("warn")
        .some(
          (w) =>
            w.startsWith(`Checkpoint ckpt-step-${String(step).padStart(8, "0")}-rolling has parameters that are not finite (${Object.keys(model)[0]}: 1 of `) &&
            w.endsWith(`falling back to ${good.name}.`),
        ),
      out.texts("warn").join("\n"),
    );
  });
});

/**
 * resumable() in-process, without a kernel: the whole pipeline on a small MNIST classifier with
 * real checkpoints on disk. Interrupts come from the run's AbortSignal and from a rerun of the
 * same directory (no signals are sent to the mocha process; real signals are tested with child
 * processes in demo.test.ts and with a Jupyter kernel in test/notebook/run-kernel.test.ts).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { summarizeProblems } from "../../src/checkpoint/messages.js";
import { isNbresumeError } from "../../src/errors.js";
import { decodePng } from "../../src/render/image.js";
import { RunErrorCode, runMessages as msg } from "../../src/run/messages.js";
import { resumable } from "../../src/run/resumable.js";
import type { ResumableOptions } from "../../src/run/run.js";
import { statSize } from "./checkpoint-size.js";
import { mlpRun, mnistOnce } from "./mlp-run.js";
import { RecordingOutput } from "./recording-output.js";
import { assertSameModel } from "./same-model.js";
import { mlpClassifier } from "../../src/engine/models/mlp-classifier.js";
import { adamw } from "../../src/engine/optim/adamw.js";
import { constantLr } from "../../src/engine/optim/schedules.js";

describe("resumable(): the run in-process", function () {
  this.timeout(60_000);
  let root: string;

  beforeEach(function () {
    root = mkdtempSync(join(tmpdir(), "nbresume-run-"));
  });

  afterEach(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("starts from scratch with the config shown, then commits rolling, best and final checkpoints with sample grids beside them", async function () {
    const dir = join(root, "a");
    const out = new RecordingOutput();
    const result = await (await mlpRun(dir, { output: out })).train();

    assert.equal(result.status, "finished");
    assert.equal(result.step, 120);
    assert.equal(result.startStep, 0);
    assert.equal(out.texts("info")[0], msg.startingFromScratch(dir));
    const config = out.texts("table")[0] ?? "";
    assert.match(config, /^Run configuration \(\d+ settings, recorded in every checkpoint\)\n/);
    assert.match(config, /model\.hidden = \[32\]/);
    assert.match(config, /batchSize = 32/);

    const names = readdirSync(dir).sort();
    for (const n of [
      "ckpt-step-00000040-rolling",
      "ckpt-step-00000080-rolling",
      "ckpt-step-00000120-final",
      "preview-step-00000000.png",
      "samples-step-00000040.png",
      "samples-step-00000080.png",
      "samples-step-00000120.png",
    ]) {
      assert.ok(names.includes(n), `${n} missing from ${names.join(", ")}`);
    }
    // Pictures sit beside the checkpoints, never inside them.
    assert.deepEqual(readdirSync(join(dir, "ckpt-step-00000040-rolling")).sort(), [
      "manifest.json",
      "model.safetensors",
      "optimizer.safetensors",
      "state.json",
    ]);
    const png = await decodePng(readFileSync(join(dir, "samples-step-00000120.png")));
    assert.ok(png.width > 100 && png.height > 100, `${png.width}×${png.height}`);

    const store = await CheckpointStore.open(dir, { readOnly: true, bestMetric: { name: "val_loss", mode: "min" } });
    try {
      const { checkpoints } = await store.list();
      for (const c of checkpoints)
        assert.ok(Number.isFinite(c.metrics["val_loss"]) && Number.isFinite(c.metrics["val_accuracy"]), `${c.name}: ${JSON.stringify(c.metrics)}`);
      const best = await store.resolve("best");
      const lowest = Math.min(...checkpoints.map((c) => c.metrics["val_loss"]!));
      assert.equal(best?.metrics["val_loss"], lowest);
      const final = await store.load("step:120");
      const history = final.state["history"] as { train: unknown[]; validation: unknown[] };
      assert.equal(history.train.length, 120, "every step's loss is in the history");
      assert.equal(history.validation.length, 3);
      assert.deepEqual(final.state["data"], {
        version: 1,
        epoch: 0,
        position: 120,
        dataset: "mnist/train",
        count: 9003,
        batchSize: 32,
        shuffle: true,
        dropLast: true,
        generatorKey: (final.state["data"] as { generatorKey: string }).generatorKey,
      });
    } finally {
      await store.close();
    }
    // The live view was drawn, and left as it was at the end.
    assert.ok(out.views.length >= 2);
    assert.equal(out.views.at(-1)?.snapshot.step, 120);
    assert.equal(out.views.at(-1)?.context.status, "finished");
  });

  it("commits an epoch checkpoint at the end of every epoch when asked", async function () {
    const dir = join(root, "epochs");
    const perEpoch = Math.floor(9003 / 32); // 281 full batches of 32
    const r = await (await mlpRun(dir, { steps: 2 * perEpoch + 10, checkpointEvery: 10_000, evalEvery: false, epochCheckpoints: true })).train();
    assert.equal(r.status, "finished");
    const store = await CheckpointStore.open(dir, { readOnly: true });
    try {
      const listed = (await store.list()).checkpoints.map((c) => [c.name, c.epoch]);
      assert.deepEqual(listed, [
        [`ckpt-step-${String(perEpoch).padStart(8, "0")}-epoch`, 1],
        [`ckpt-step-${String(2 * perEpoch).padStart(8, "0")}-epoch`, 2],
        [`ckpt-step-${String(2 * perEpoch + 10).padStart(8, "0")}-final`, 2],
      ]);
      const cursor = (await store.load(`step:${perEpoch}`)).state["data"] as { epoch: number; position: number };
      assert.deepEqual([cursor.epoch, cursor.position], [1, 0], "an epoch checkpoint resumes at the start of the next epoch");
    } finally {
      await store.close();
    }
  });

  it("commits an emergency checkpoint when stopped between steps, and a rerun ends bitwise where an uninterrupted run ends", async function () {
    // Long enough that a progress redraw (every 250 ms) lands mid-run however fast the machine is.
    const options: Partial<ResumableOptions> = { steps: 3000, checkpointEvery: 10_000, evalEvery: false };
    const whole = await (await mlpRun(join(root, "whole"), options)).train();
    assert.equal(whole.status, "finished");

    const dir = join(root, "stopped");
    const controller = new AbortController();
    const out = new RecordingOutput(false, (view) => {
      if (view.snapshot.step >= 20) controller.abort();
    });
    const first = await (await mlpRun(dir, { ...options, output: out })).train({ signal: controller.signal });
    assert.equal(first.status, "interrupted");
    assert.equal(first.stopReason, "aborted");
    const k = first.step;
    assert.ok(k >= 20 && k < 3000, `stopped at ${k}`);
    assert.equal(first.checkpoint?.kind, "emergency");
    assert.equal(first.checkpoint?.step, k);
    assert.equal(out.texts("info").at(-1), msg.interrupted(k));
    const store = await CheckpointStore.open(dir, { readOnly: true });
    try {
      const check = await store.verify(first.checkpoint.path);
      assert.equal(check.ok, true, summarizeProblems(check.problems));
    } finally {
      await store.close();
    }

    const again = new RecordingOutput();
    const second = await (await mlpRun(dir, { ...options, output: again })).train();
    assert.equal(second.status, "finished");
    assert.equal(second.startStep, k);
    assert.equal(second.resumedFrom?.kind, "emergency");
    const perEpoch = Math.floor(9003 / 32);
    assert.ok(again.texts("info").includes(msg.resumed(k, 3000, Math.floor(k / perEpoch), k % perEpoch)), again.texts("info").join("\n"));
    await assertSameModel(whole.checkpoint!.path, second.checkpoint!.path);
  });

  it("stops a run still going when the same directory is run again (superseded), so there is never a second writer", async function () {
    const dir = join(root, "rerun");
    const options: Partial<ResumableOptions> = { steps: 20_000, checkpointEvery: 50_000, evalEvery: false };
    let started!: () => void;
    const going = new Promise<void>((r) => (started = r));
    const firstOut = new RecordingOutput(false, (view) => {
      if (view.snapshot.step >= 10) started();
    });
    const first = (await mlpRun(dir, { ...options, output: firstOut })).train();
    await going;
    const controller = new AbortController();
    const secondOut = new RecordingOutput(false, (view) => {
      if (view.snapshot.step > view.snapshot.startStep + 10) controller.abort();
    });
    const second = (await mlpRun(dir, { ...options, output: secondOut })).train({ signal: controller.signal });
    const r1 = await first;
    assert.equal(r1.status, "interrupted");
    assert.equal(r1.stopReason, "superseded");
    assert.equal(r1.checkpoint?.kind, "emergency");
    assert.equal(firstOut.texts("info").at(-1), msg.superseded(r1.step));
    // The second run only opened the directory after the first had committed and let go of it.
    const r2 = await second;
    assert.equal(r2.status, "interrupted");
    assert.equal(r2.startStep, r1.step);
    assert.equal(r2.resumedFrom?.name, r1.checkpoint?.name);
  });

  it("refuses to resume after an unsafe config change, naming the change and the override; allowConfigChange resumes anyway", async function () {
    const dir = join(root, "changed");
    const done = await (await mlpRun(dir, { steps: 40 })).train();
    assert.equal(done.checkpoint?.name, "ckpt-step-00000040-final");

    const reseeded = new RecordingOutput();
    await assert.rejects(
      (await mlpRun(dir, { steps: 80, seed: 8, output: reseeded })).train(),
      (e: unknown) =>
        isNbresumeError(e, RunErrorCode.CONFIG_CHANGED) &&
        e.message === msg.unsafeConfigChange(dir, "ckpt-step-00000040-final", [{ path: "seed", old: 7, new: 8 }]),
    );
    assert.match(reseeded.texts("table")[0] ?? "", /^Config changes since the checkpoint\nseed = 7 → 8 \(unsafe: /m);

    const wider = resumable({
      dir,
      model: mlpClassifier({ inputSize: 784, hidden: [48], classes: 10, dropout: 0.1 }),
      data: await mnistOnce(),
      optimizer: adamw(),
      schedule: constantLr(1e-3),
      steps: 80,
      batchSize: 32,
      seed: 7,
      output: new RecordingOutput(),
    });
    // Wider layers: the weights cannot fit, so no override is offered (architecture-change.test.ts).
    await assert.rejects(
      wider.train(),
      (e: unknown) =>
        isNbresumeError(e, RunErrorCode.STATE_MISMATCH) &&
        /model\.hidden\[0\]: 32 → 48/.test(e.message) &&
        !/pass allowConfigChange: true/.test(e.message) &&
        /new dir/.test(e.message),
    );
    assert.equal(readdirSync(dir).filter((n) => n.startsWith("ckpt-")).length, 1, "a refused run writes no checkpoint");

    const allowed = new RecordingOutput();
    const resumed = await (await mlpRun(dir, { steps: 80, seed: 8, allowConfigChange: true, output: allowed })).train();
    assert.equal(resumed.status, "finished");
    assert.equal(resumed.startStep, 40);
    assert.ok(allowed.texts("warn").includes(msg.configChangeAllowed(1)), allowed.texts("warn").join("\n"));
    assert.ok(
      allowed.texts("warn").some((w) => w.startsWith("The data loader could not continue exactly")),
      "the seed's data order cannot continue: said so",
    );
  });

  it("allows harmless changes such as steps and evalEvery, and shows them", async function () {
    const dir = join(root, "harmless");
    await (await mlpRun(dir, { steps: 40 })).train();
    const out = new RecordingOutput();
    const r = await (await mlpRun(dir, { steps: 80, evalEvery: 20, output: out })).train();
    assert.equal(r.status, "finished");
    assert.equal(r.startStep, 40);
    assert.equal(r.timings.reusedSession, true, "a rerun in the same process reuses the compiled session");
    const table = out.texts("table")[0] ?? "";
    assert.match(table, /^steps = 40 → 80 \(allowed\)$/m);
    assert.match(table, /^evalEvery = 40 → 20 \(allowed\)$/m);
    assert.deepEqual(out.texts("warn"), []);
    const store = await CheckpointStore.open(dir, { readOnly: true });
    try {
      const history = (await store.load("step:80")).state["history"] as { train: unknown[]; validation: unknown[] };
      assert.equal(history.train.length, 80, "the loss history survives the resume");
      assert.equal(history.validation.length, 1 + 2);
    } finally {
      await store.close();
    }
  });

  it("allows a changed retention policy (keep) on resume, shows it, and records the new one", async function () {
    const dir = join(root, "keep");
    await (await mlpRun(dir, { steps: 40, keep: { rolling: 5 } })).train();
    const out = new RecordingOutput();
    const r = await (await mlpRun(dir, { steps: 80, keep: { rolling: 2 }, output: out })).train();
    assert.equal(r.status, "finished");
    assert.equal(r.startStep, 40);
    assert.match(out.texts("table")[0] ?? "", /^keep\.rolling = 5 → 2 \(allowed\)$/m);
    assert.deepEqual(out.texts("warn"), []);
    const store = await CheckpointStore.open(dir, { readOnly: true });
    try {
      assert.deepEqual((await store.load("step:80")).state["config"], {
        ...((await store.load("step:40")).state["config"] as object),
        steps: 80,
        keep: { rolling: 2, emergency: 5, best: 3, epoch: "all" },
      });
    } finally {
      await store.close();
    }
  });

  it("compiles a new session when a change alters training (here the learning rate), shows it, and trains with the new rate", async function () {
    const dir = join(root, "lr");
    await (await mlpRun(dir, { steps: 40 })).train();
    const out = new RecordingOutput();
    const changed = { schedule: constantLr(1e-3) };
    const r = await (await mlpRun(dir, { steps: 80, ...changed, output: out })).train();
    assert.equal(r.timings.reusedSession, false);
    assert.match(out.texts("table")[0] ?? "", /^schedule\.name = "cosine" → "constant" \(allowed: training continues differently from here\)$/m);
    // Continuing the same way again reuses that session, and ends where one run with that schedule from step 40 ends.
    const again = await (await mlpRun(dir, { steps: 120, ...changed })).train();
    assert.equal(again.timings.reusedSession, true);
    const other = join(root, "lr-other");
    await (await mlpRun(other, { steps: 40 })).train();
    await (await mlpRun(other, { steps: 120, ...changed })).train();
    await assertSameModel(join(dir, "ckpt-step-00000120-final"), join(other, "ckpt-step-00000120-final"));
  });

  it("falls back past a damaged newest checkpoint, says which file is wrong, moves it aside (never overwritten), and still ends where an undisturbed run ends", async function () {
    const whole = await (await mlpRun(join(root, "whole"))).train();
    const dir = join(root, "damaged");
    const first = await (await mlpRun(dir)).train();
    const finalDir = first.checkpoint!.path;
    const file = join(finalDir, "model.safetensors");
    const bytes = readFileSync(file);
    bytes[bytes.length - 7] = (bytes[bytes.length - 7] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    const reader = await CheckpointStore.open(dir, { readOnly: true });
    const problem = summarizeProblems((await reader.verify(finalDir)).problems);
    await reader.close();

    const out = new RecordingOutput();
    const r = await (await mlpRun(dir, { output: out })).train();
    assert.equal(out.texts("warn")[0], msg.skippedCheckpoint("ckpt-step-00000120-final", problem, "ckpt-step-00000080-rolling"));
    assert.equal(r.startStep, 80);
    assert.equal(r.status, "finished");
    // The damaged one is moved aside, never overwritten: the run's new final checkpoint takes its name.
    const aside = readdirSync(dir).filter((n) => n.startsWith("rolled-back-"));
    assert.equal(aside.length, 1);
    assert.ok(
      out
        .texts("info")
        .includes(msg.setAsideNewer("ckpt-step-00000080-rolling", 80, 1, statSize(join(dir, aside[0]!, "ckpt-step-00000120-final")), join(dir, aside[0]!))),
      out.texts("info").join("\n"),
    );
    assert.deepEqual(readFileSync(join(dir, aside[0]!, "ckpt-step-00000120-final", "model.safetensors")), bytes);
    await assertSameModel(whole.checkpoint!.path, r.checkpoint!.path);
  });

  it("shows the preview of an already finished run and says so instead of training", async function () {
    const dir = join(root, "finished");
    const first = await (await mlpRun(dir)).train();
    const before = readdirSync(dir)
      .filter((n) => n.startsWith("ckpt-"))
      .sort();
    const out = new RecordingOutput(true);
    const r = await (await mlpRun(dir, { output: out })).train();
    assert.equal(r.status, "already-finished");
    assert.equal(r.step, 120);
    const image = out.shown.find((s) => s.kind === "image");
    assert.ok(image?.image !== undefined);
    assert.equal(image.file, join(dir, "preview-step-00000120.png"));
    assert.ok(existsSync(image.file));
    assert.match(image.text, /^step 120 · loss [\d.]+ · final checkpoint/);
    const png = await decodePng(image.image.bundle["image/png"]);
    assert.equal(png.width, image.image.width);
    assert.equal(out.texts("info").at(-1), msg.alreadyFinished(120, 120, first.checkpoint!.name));
    assert.deepEqual(
      readdirSync(dir)
        .filter((n) => n.startsWith("ckpt-"))
        .sort(),
      before,
    );
    assert.equal(out.views.length, 0, "no live progress for a run with nothing to do");
    // The record of the train() that finished the run stays: a rerun that trained nothing does not replace it.
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as { status: string; startStep: number };
    assert.equal(summary.status, "finished");
    assert.equal(summary.startStep, 0);
  });

  it("rejects bad options with a TypeError or RangeError naming the option", async function () {
    const data = await mnistOnce();
    const base: ResumableOptions = {
      dir: join(root, "x"),
      model: mlpClassifier({ inputSize: 784, hidden: [8], classes: 10 }),
      data,
      optimizer: adamw(),
      schedule: constantLr(1e-3),
      steps: 10,
      batchSize: 8,
    };
    const cases: [Partial<Record<keyof ResumableOptions, unknown>>, ErrorConstructor, RegExp][] = [
      [{ steps: 0 }, RangeError, /steps must be a positive integer, got 0/],
      [{ steps: "10" }, TypeError, /steps must be a positive integer/],
      [{ batchSize: 2.5 }, RangeError, /batchSize must be a positive integer, got 2\.5/],
      [{ batchSize: 100_000 }, RangeError, /batchSize 100000 is larger than the training set/],
      [{ dir: "" }, TypeError, /dir must be a non-empty path/],
      [{ dir: undefined }, TypeError, /dir is required/],
      [{ model: {} }, TypeError, /model must be a Model/],
      [{ data: { train: data.train }, evalEvery: 5 }, RangeError, /evalEvery needs held-out data/],
      [{ checkpointEvery: -1 }, RangeError, /checkpointEvery must be a positive integer/],
      [{ preview: { samples: 1000 } }, RangeError, /preview\.samples must be an integer from 1 to 256/],
      [{ output: "web" }, TypeError, /output must be one of "auto", "notebook", "terminal", "silent" or a RunOutput/],
      [{ keep: { rolling: -1 } }, RangeError, /keep\.rolling must be an integer ≥ 0/],
      [{ seed: 1.5 }, TypeError, /seed must be an integer or a string/],
      [{ bestMetric: { name: "val_loss", mode: "lowest" } }, TypeError, /bestMetric must be/],
    ];
    for (const [change, type, pattern] of cases) {
      assert.throws(
        () => resumable({ ...base, ...change } as ResumableOptions),
        (e: unknown) => e instanceof type && pattern.test(e.message),
        `options changed: ${Object.keys(change).join(", ")} → ${pattern}`,
      );
    }
    assert.equal(existsSync(base.dir), false, "validation happens before anything touches the disk");
  });
});

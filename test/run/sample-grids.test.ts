/**
 * resumable() with the demo's diffusion model (tiny UNet): the sample grids beside checkpoints are
 * drawn on the sampler thread while training goes on, and they are the same pictures as grids
 * drawn on the training thread; training ends bitwise the same either way; an interrupt while a
 * grid is being drawn does not wait for it, and leaves no sampler thread behind.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { ddpm } from "../../src/engine/diffusion/ddpm-model.js";
import { adamw } from "../../src/engine/optim/adamw.js";
import { constantLr } from "../../src/engine/optim/schedules.js";
import { decodePng } from "../../src/render/image.js";
import { renderSampleGrid } from "../../src/render/sample-grid.js";
import { runMessages as msg } from "../../src/run/messages.js";
import { resumable } from "../../src/run/resumable.js";
import type { PreviewOptions, ResumableOptions } from "../../src/run/run.js";
import { liveSamplerThreads } from "../../src/run/sampler-thread.js";
import { releaseCachedSession } from "../../src/run/session-cache.js";
import { mnistOnce } from "./mlp-run.js";
import { RecordingOutput } from "./recording-output.js";
import { assertSameModel } from "./same-model.js";

async function diffusionRun(dir: string, steps: number, preview: PreviewOptions, overrides: Partial<ResumableOptions> = {}): Promise<ResumableOptions> {
  return {
    dir,
    model: ddpm({ unet: "tiny" }),
    data: await mnistOnce(),
    optimizer: adamw(),
    schedule: constantLr(2e-3),
    steps,
    batchSize: 8,
    checkpointEvery: 2,
    evalEvery: false,
    seed: 11,
    preview,
    output: new RecordingOutput(),
    ...overrides,
  };
}

function file(dir: string, name: string): Buffer {
  const path = join(dir, name);
  assert.ok(existsSync(path), `${name} is missing in ${dir}`);
  return readFileSync(path);
}

describe("resumable(): sample grids on the sampler thread (diffusion)", function () {
  this.timeout(120_000);
  let root: string;

  beforeEach(function () {
    root = mkdtempSync(join(tmpdir(), "nbresume-grids-"));
  });

  afterEach(async function () {
    await releaseCachedSession();
    rmSync(root, { recursive: true, force: true });
  });

  it("draws checkpoints' grids on the sampler thread: the same PNGs as on the training thread, every grid there at the end, training bitwise the same, also after a resume", async function () {
    const modes = ["auto", "thread", "main"] as const;
    const dirs = Object.fromEntries(modes.map((m) => [m, join(root, m)])) as Record<(typeof modes)[number], string>;
    const grids: Record<string, unknown> = {};
    for (const mode of modes) {
      // Steps 2 and 4 are rolling checkpoints (background saves), 6 the final one; then a resume to 8.
      const first = await resumable(await diffusionRun(dirs[mode], 6, { sampler: mode })).train();
      await releaseCachedSession(); // the resume compiles anew, as after a kernel restart
      const second = await resumable(await diffusionRun(dirs[mode], 8, { sampler: mode })).train();
      assert.equal(first.status, "finished");
      assert.equal(second.status, "finished");
      assert.equal(second.startStep, 6);
      grids[mode] = { first: first.grids, second: second.grids, previewOffThread: second.timings.previewOffThread };
    }
    // Where each grid was drawn: "auto" draws the checkpoints' grids on the sampler thread and those
    // the run waits for (previews, final grids) on the training thread (2 cores here: no overlap; on
    // more cores the resume preview is drawn beside the compile); "thread" all on the sampler thread.
    const spare = (await import("node:os")).availableParallelism() > 2;
    assert.deepEqual(grids, {
      auto: {
        first: { offThread: 2, onTrainingThread: 2, skipped: 0, dropped: 0 },
        second: { offThread: spare ? 1 : 0, onTrainingThread: spare ? 1 : 2, skipped: 0, dropped: 0 },
        previewOffThread: spare,
      },
      thread: {
        first: { offThread: 4, onTrainingThread: 0, skipped: 0, dropped: 0 },
        second: { offThread: 2, onTrainingThread: 0, skipped: 0, dropped: 0 },
        previewOffThread: true,
      },
      main: {
        first: { offThread: 0, onTrainingThread: 4, skipped: 0, dropped: 0 },
        second: { offThread: 0, onTrainingThread: 2, skipped: 0, dropped: 0 },
        previewOffThread: false,
      },
    });

    // The same pictures wherever they were drawn, each a real 4×4 grid of 28×28 digits.
    const expected = await renderSampleGrid({
      images: new Float32Array(16 * 784),
      n: 16,
      height: 28,
      width: 28,
      range: [-1, 1],
      caption: msg.previewCaption(2, 1, "rolling"),
    });
    for (const name of [
      "preview-step-00000000.png",
      "samples-step-00000002.png",
      "samples-step-00000004.png",
      "samples-step-00000006.png",
      "preview-step-00000006.png",
      "samples-step-00000008.png",
    ]) {
      const main = file(dirs.main, name);
      for (const mode of ["auto", "thread"] as const)
        assert.ok(file(dirs[mode], name).equals(main), `${name} drawn with sampler "${mode}" differs from the training thread's`);
      const png = await decodePng(main);
      assert.deepEqual([png.width, png.height], [expected.width, expected.height], name);
    }
    // The grid beside a checkpoint shows that checkpoint's weights: the resume preview of step 6
    // is the final grid of step 6 (same weights, same seed, same caption).
    assert.ok(
      file(dirs.main, "preview-step-00000006.png").equals(file(dirs.main, "samples-step-00000006.png")),
      "the preview of step 6 differs from the grid saved with it",
    );

    for (const mode of ["auto", "thread"] as const) {
      await assertSameModel(join(dirs[mode], "ckpt-step-00000008-final"), join(dirs.main, "ckpt-step-00000008-final"));
    }
  });

  it("stops at once when interrupted while a checkpoint's grid is being drawn: the grid is dropped, the emergency checkpoint committed, no sampler thread left", async function () {
    const dir = join(root, "interrupted");
    const controller = new AbortController();
    let abortedAt: number | undefined;
    // 1,000 DDIM steps per grid: seconds on the sampler thread, so the grid of step 3 is still
    // being drawn a few steps later, when the run is stopped (at the first progress line past step 4).
    const out = new RecordingOutput(false, (view) => {
      if (abortedAt === undefined && view.snapshot.step >= 4) {
        abortedAt = view.snapshot.step;
        controller.abort();
      }
    });
    const options = await diffusionRun(dir, 1000, { samples: 4, samplerSteps: 1000 }, { output: out, checkpointEvery: 3 });
    const result = await resumable(options).train({ signal: controller.signal });

    assert.equal(result.status, "interrupted");
    assert.equal(result.stopReason, "aborted");
    assert.ok(abortedAt !== undefined && result.step >= abortedAt && result.step < 1000);
    // The grid of step 3 was dropped, not waited for (with later checkpoints' grids: one waiting, dropped too, others skipped).
    const checkpointed = Math.floor(result.step / 3);
    assert.ok(checkpointed >= 1);
    assert.equal(result.grids.offThread, 0, JSON.stringify(result.grids));
    assert.equal(result.grids.dropped, Math.min(2, checkpointed), JSON.stringify(result.grids));
    assert.equal(result.grids.skipped, Math.max(0, checkpointed - 2), JSON.stringify(result.grids));
    assert.equal(liveSamplerThreads(), 0, "a sampler thread is still running after train() returned");
    // Stopped right after a rolling checkpoint of this very step: that one is the checkpoint.
    const onCheckpoint = result.step % 3 === 0;
    assert.equal(result.checkpoint?.kind, onCheckpoint ? "rolling" : "emergency");
    assert.equal(result.checkpoint?.step, result.step);
    assert.ok(out.texts("info").includes(onCheckpoint ? msg.interruptedAlreadySaved(result.step) : msg.interrupted(result.step)));

    const store = await CheckpointStore.open(dir, { readOnly: true });
    try {
      const listed = (await store.list({ verify: true })).checkpoints;
      const rolling = Array.from({ length: checkpointed }, (_, i) => 3 * (i + 1));
      assert.deepEqual(
        listed.map((c) => [c.name, c.verified]),
        [
          ...rolling.map((s) => [`ckpt-step-${String(s).padStart(8, "0")}-rolling`, true]),
          ...(onCheckpoint ? [] : [[`ckpt-step-${String(result.step).padStart(8, "0")}-emergency`, true]]),
        ],
      );
    } finally {
      await store.close();
    }
    for (let s = 3; s <= result.step; s += 3)
      assert.ok(!existsSync(join(dir, `samples-step-${String(s).padStart(8, "0")}.png`)), `a dropped grid (step ${s}) was written after all`);
  });
});

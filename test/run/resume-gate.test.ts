/**
 * The resume preview as a validation gate: a checkpoint whose files are intact but whose model is
 * broken — its sampler draws NaN, or only constant images — is shown, said why, and passed over
 * for the previous checkpoint that passes (validate: "fallback"); "warn" resumes it anyway,
 * "stop" refuses. A metric bound on held-out data gates the same way. Planted checkpoints are
 * real ones with a few weights changed, saved through the store so they verify.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { isNbresumeError } from "../../src/errors.js";
import { ddpm } from "../../src/engine/diffusion/ddpm-model.js";
import { adamw } from "../../src/engine/optim/adamw.js";
import { constantLr } from "../../src/engine/optim/schedules.js";
import { RunErrorCode } from "../../src/run/messages.js";
import { resumable } from "../../src/run/resumable.js";
import type { ResumableOptions } from "../../src/run/run.js";
import type { TensorGroup } from "../../src/tensor.js";
import { mlpRun, mnistOnce } from "./mlp-run.js";
import { RecordingOutput } from "./recording-output.js";

const RESERVED = new Set(["format", "nbresume", "kind", "step", "epoch", "metrics"]);

/** Saves a copy of `from` (a checkpoint path) as a rolling checkpoint of `step`, its model tensors changed by `plant`. */
async function plantCheckpoint(dir: string, from: string, step: number, plant: (model: TensorGroup) => void): Promise<string> {
  const store = await CheckpointStore.open(dir);
  try {
    const loaded = await store.load(from);
    plant(loaded.tensors["model"]!);
    const state = Object.fromEntries(Object.entries(loaded.state).filter(([k]) => !RESERVED.has(k)));
    const training = state["training"] as Record<string, unknown>;
    const saved = await store.save({
      kind: "rolling",
      step,
      epoch: loaded.epoch,
      tensors: loaded.tensors,
      state: { ...state, training: { ...training, step } },
      metrics: loaded.metrics,
    });
    return saved.name;
  } finally {
    await store.close();
  }
}

function fill(t: TensorGroup[string] | undefined, value: (i: number) => number): void {
  const data = t!.data as Float32Array;
  for (let i = 0; i < data.length; i++) data[i] = value(i);
}

describe("resumable(): the resume preview validates the checkpoint", function () {
  this.timeout(240_000);
  let root: string;

  before(function () {
    root = mkdtempSync(join(tmpdir(), "nbresume-gate-"));
  });

  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  async function diffusion(dir: string, overrides: Partial<ResumableOptions> = {}): Promise<ReturnType<typeof resumable>> {
    return resumable({
      dir,
      model: ddpm({ unet: "tiny" }),
      data: await mnistOnce(),
      optimizer: adamw(),
      schedule: constantLr(1e-3),
      steps: 4,
      batchSize: 4,
      checkpointEvery: 2,
      evalEvery: false,
      seed: 3,
      preview: { samples: 4, samplerSteps: 2, sampler: "main" },
      output: new RecordingOutput(),
      ...overrides,
    });
  }

  const plants: [string, RegExp, (model: TensorGroup) => void][] = [
    // The largest finite weights in the first convolution: its outputs overflow to ±Inf, and the
    // group norm after it computes Inf − Inf: NaN all the way to the samples.
    [
      "draws NaN",
      /preview's samples hold \d+ of \d+ values that are not finite/,
      (m) => {
        fill(m["conv_in.weight"], () => 3.4e38);
      },
    ],
    // A huge constant noise estimate: every denoised pixel clips to −1, every sample a blank image.
    [
      "draws constant images",
      /preview's 4 samples are each one constant value/,
      (m) => {
        fill(m["conv_out.weight"], () => 0);
        fill(m["conv_out.bias"], () => 1e6);
      },
    ],
  ];

  for (const [what, reason, plant] of plants) {
    it(`passes over a checkpoint whose model ${what}: its grid is shown, the reason said, the previous checkpoint resumed`, async function () {
      const dir = join(root, what.replace(/ /g, "-"));
      const first = await (await diffusion(dir)).train();
      const planted = await plantCheckpoint(dir, first.checkpoint!.path, 6, plant);

      const out = new RecordingOutput(true);
      const r = await (await diffusion(dir, { steps: 8, output: out })).train();
      assert.equal(r.resumedFrom?.name, "ckpt-step-00000004-final");
      assert.equal(r.status, "finished");
      const warning = out.texts("warn").find((w) => w.startsWith(`Checkpoint ${planted} fails validation`));
      assert.ok(warning !== undefined, out.texts("warn").join("\n"));
      assert.match(warning, reason);
      const grids = out.shown.filter((s) => s.kind === "image").map((s) => s.text);
      assert.ok(
        grids.some((t) => t.startsWith("step 6 · ")),
        `the failing grid is shown: ${grids.join(" | ")}`,
      );
      assert.ok(
        grids.some((t) => t.startsWith("step 4 · ")),
        "then the one resumed",
      );
      const folder = readdirSync(dir).find((n) => n.startsWith("rolled-back-"));
      assert.ok(folder !== undefined && readdirSync(join(dir, folder)).includes(planted), "the planted checkpoint is moved aside, not deleted");
    });
  }

  it('validate: "warn" resumes a failing checkpoint with a warning; "stop" refuses it, saying how to go on', async function () {
    const dir = join(root, "warn");
    const first = await (await diffusion(dir)).train();
    const planted = await plantCheckpoint(dir, first.checkpoint!.path, 6, plants[1]![2]);
    await assert.rejects(
      (await diffusion(dir, { steps: 8, validate: "stop" })).train(),
      (e: unknown) => isNbresumeError(e, RunErrorCode.VALIDATION_FAILED) && e.message.startsWith(`Not resuming ${planted}: it fails validation`),
    );
    const out = new RecordingOutput();
    const r = await (await diffusion(dir, { steps: 8, validate: "warn", output: out })).train();
    assert.equal(r.resumedFrom?.name, planted);
    assert.ok(out.texts("warn").some((w) => w.startsWith(`Checkpoint ${planted} fails validation:`) && w.endsWith('Resuming it anyway (validate: "warn").')));
  });

  it("gates on a validation metric's bound too, and stops when no checkpoint passes", async function () {
    const dir = join(root, "metric");
    await (await mlpRun(dir, { steps: 80 })).train();
    const passes = await (await mlpRun(dir, { steps: 120, validate: { metric: { name: "val_loss", max: 100 } } })).train();
    assert.equal(passes.startStep, 80);
    const out = new RecordingOutput();
    await assert.rejects(
      (await mlpRun(dir, { steps: 160, validate: { metric: { name: "val_loss", max: 1e-6 } }, output: out })).train(),
      (e: unknown) =>
        isNbresumeError(e, RunErrorCode.VALIDATION_FAILED) &&
        /^No checkpoint in .* passes validation \(ckpt-step-00000120-final: val_loss on held-out data is [\d.]+, which should be at most/.test(e.message),
    );
    assert.ok(
      out.texts("warn").some((w) => w.startsWith("Checkpoint ckpt-step-00000120-final fails validation: val_loss on held-out data")),
      out.texts("warn").join("\n"),
    );
  });
});

/**
 * What a resume restores (load: { optimizer, schedule, rng, data }), in real runs: the message says
 * exactly what was restored and what was reset, a part left out is what a fresh run would have,
 * and weights only ({ optimizer: false, schedule: false }) is a new run from those weights.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { runMessages as msg } from "../../src/run/messages.js";
import type { LoadParts } from "../../src/run/run.js";
import { mlpRun } from "./mlp-run.js";
import { RecordingOutput } from "./recording-output.js";
import { assertSameModel } from "./same-model.js";

async function dataCursor(path: string): Promise<{ epoch: number; position: number }> {
  const store = await CheckpointStore.open(join(path, ".."), { readOnly: true });
  try {
    return (await store.load(path)).state["data"] as { epoch: number; position: number };
  } finally {
    await store.close();
  }
}

async function differs(a: string, b: string): Promise<boolean> {
  return assertSameModel(a, b).then(
    () => false,
    () => true,
  );
}

describe("resumable(): what a resume restores (load)", function () {
  this.timeout(120_000);
  let root: string;
  let whole: string;

  before(async function () {
    root = mkdtempSync(join(tmpdir(), "nbresume-load-"));
    whole = (await (await mlpRun(join(root, "whole"))).train()).checkpoint!.path;
  });

  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  /** A run stopped at step 40, then resumed with `load`: its result and what it said. */
  async function resumedWith(
    name: string,
    load: LoadParts,
  ): Promise<{ out: RecordingOutput; final: string; dir: string; start: number; from: string | undefined }> {
    const dir = join(root, name);
    await (await mlpRun(dir, { steps: 40 })).train();
    const out = new RecordingOutput();
    const r = await (await mlpRun(dir, { load, output: out })).train();
    assert.equal(r.status, "finished");
    return { out, final: r.checkpoint!.path, dir, start: r.startStep, from: r.resumedFrom?.path };
  }

  it("restores everything by default and says so; the result is bitwise the uninterrupted run's", async function () {
    const { out, final } = await resumedWith("all", {});
    assert.ok(out.texts("info").includes(msg.resumed(40, 120, 0, 40)), out.texts("info").join("\n"));
    assert.ok(msg.resumed(40, 120, 0, 40).endsWith("optimizer, schedule, RNG and data order restored."));
    await assertSameModel(whole, final);
  });

  it("{ optimizer: false } keeps weights, step, generator and data position and starts the optimizer's moments afresh — said, and it trains differently", async function () {
    const { out, final } = await resumedWith("optimizer", { optimizer: false });
    const line = msg.resumed(40, 120, 0, 40, ["optimizer"]);
    assert.equal(line, "Resuming at step 40 of 120 (epoch 0, batch 40): weights, schedule, RNG and data order restored; optimizer reset (fresh moments).");
    assert.ok(out.texts("info").includes(line), out.texts("info").join("\n"));
    assert.ok(await differs(whole, final), "fresh moments change the training");
    // The same again gives the same bits: resetting is exact too.
    const again = await resumedWith("optimizer-2", { optimizer: false });
    await assertSameModel(final, again.final);
  });

  it("{ rng: false } and { data: false } reset the generator and the data order, and say so", async function () {
    const rng = await resumedWith("rng", { rng: false });
    assert.ok(rng.out.texts("info").includes(msg.resumed(40, 120, 0, 40, ["RNG"])), rng.out.texts("info").join("\n"));
    assert.ok(await differs(whole, rng.final), "other dropout masks");

    const data = await resumedWith("data", { data: false });
    assert.ok(data.out.texts("info").includes(msg.resumed(40, 120, 0, 0, ["data order"])), data.out.texts("info").join("\n"));
    const cursor = await dataCursor(data.final);
    assert.deepEqual([cursor.epoch, cursor.position], [0, 80], "80 batches since the data order restarted");
  });

  it("weights only ({ optimizer: false, schedule: false }) starts a new run at step 0 from the checkpoint's weights, moving the old checkpoints aside; with rng and data reset too it is exactly a warm start (initFrom) from them", async function () {
    const { out, final, dir, start, from } = await resumedWith("weights", { optimizer: false, schedule: false, rng: false, data: false });
    assert.equal(start, 0);
    const folder = readdirSync(dir).find((n) => n.startsWith("rolled-back-"));
    assert.ok(folder !== undefined);
    assert.ok(
      out.texts("info").some((t) => t.startsWith(`${msg.restartChosen("ckpt-step-00000040-final", 40)}: moved 1 checkpoint`)),
      out.texts("info").join("\n"),
    );
    assert.ok(out.texts("info").includes(msg.resumed(0, 120, 0, 0, ["optimizer", "schedule", "RNG", "data order"])), out.texts("info").join("\n"));

    assert.equal(from, join(dir, folder, "ckpt-step-00000040-final"), "resumedFrom says where the checkpoint is now");
    const warm = await (await mlpRun(join(root, "warm"), { initFrom: join(dir, folder, "ckpt-step-00000040-final") })).train();
    await assertSameModel(final, warm.checkpoint!.path);
  });
});

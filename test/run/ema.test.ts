/**
 * The weights EMA (ema: { decay }): its own "ema" group in every checkpoint, resumed bitwise,
 * what the previews draw (their captions say so), and started from a checkpoint's weights when
 * a run that had none turns it on.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { runMessages as msg } from "../../src/run/messages.js";
import type { ResumableOptions } from "../../src/run/run.js";
import type { TensorGroup } from "../../src/tensor.js";
import { mlpRun } from "./mlp-run.js";
import { RecordingOutput } from "./recording-output.js";

async function groups(path: string): Promise<{ tensors: Record<string, TensorGroup>; state: Record<string, unknown> }> {
  const store = await CheckpointStore.open(join(path, ".."), { readOnly: true });
  try {
    const loaded = await store.load(path);
    return { tensors: loaded.tensors, state: loaded.state };
  } finally {
    await store.close();
  }
}

function sameBits(a: TensorGroup, b: TensorGroup): boolean {
  return (
    Object.keys(a).length === Object.keys(b).length &&
    Object.entries(a).every(([name, t]) =>
      Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(
        Buffer.from(b[name]!.data.buffer, b[name]!.data.byteOffset, b[name]!.data.byteLength),
      ),
    )
  );
}

describe("resumable(): weights EMA", function () {
  this.timeout(120_000);
  let root: string;
  const options: Partial<ResumableOptions> = { ema: { decay: 0.99 } };

  before(function () {
    root = mkdtempSync(join(tmpdir(), "nbresume-ema-"));
  });

  after(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it("keeps an 'ema' group beside the model in every checkpoint, previews it, and a resumed run's EMA is bitwise the uninterrupted one's", async function () {
    const out = new RecordingOutput();
    const whole = await (await mlpRun(join(root, "whole"), { ...options, output: out })).train();
    const w = await groups(whole.checkpoint!.path);
    assert.deepEqual(Object.keys(w.tensors).sort(), ["ema", "model", "optimizer"]);
    assert.deepEqual(w.state["ema"], { decay: 0.99, updates: 120 });
    assert.ok(!sameBits(w.tensors["ema"]!, w.tensors["model"]!), "the average is not the last weights");
    assert.ok(
      out.shown.some((s) => s.kind === "image" && s.text.startsWith("step 120 · loss") && s.text.includes("final checkpoint · EMA weights")),
      out.shown.map((s) => s.text).join("\n"),
    );

    const dir = join(root, "resumed");
    await (await mlpRun(dir, { ...options, steps: 50 })).train();
    const resumed = await (await mlpRun(dir, options)).train();
    const r = await groups(resumed.checkpoint!.path);
    assert.ok(sameBits(r.tensors["ema"]!, w.tensors["ema"]!), "EMA resumed bitwise");
    assert.ok(sameBits(r.tensors["model"]!, w.tensors["model"]!));
  });

  it("starts the average from a checkpoint's weights when a run without one turns it on, and says so", async function () {
    const dir = join(root, "late");
    const first = await (await mlpRun(dir, { steps: 40 })).train();
    const out = new RecordingOutput();
    const r = await (await mlpRun(dir, { ...options, steps: 41, output: out })).train();
    assert.ok(out.texts("info").includes(msg.emaStarted(first.checkpoint!.name)), out.texts("info").join("\n"));
    const g = await groups(r.checkpoint!.path);
    assert.deepEqual(g.state["ema"], { decay: 0.99, updates: 1 });
  });
});

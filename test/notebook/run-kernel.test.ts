/**
 * The training cell in a real Jupyter server with the nbresume kernel (Debian's jupyter-server on
 * loopback, driven with @jupyterlab/services as JupyterLab drives it): interrupt, restart and
 * rerun, run to the end and compare with an uninterrupted run; SIGKILL the kernel mid-training
 * and resume from the last committed checkpoint. The model is the small MNIST classifier, so a
 * step takes about a millisecond and the tests spend their time where the product does: in
 * resolve, verify, preview and the kernel.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { kernelMessages } from "../../src/kernel/messages.js";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { runMessages as msg } from "../../src/run/messages.js";
import { decodePng } from "../../src/render/image.js";
import { mlpRun } from "../run/mlp-run.js";
import { RecordingOutput } from "../run/recording-output.js";
import { assertSameModel } from "../run/same-model.js";
import {
  ExecuteFailed,
  NOTEBOOKS_DIR,
  REPO_ROOT,
  startJupyterServer,
  type DisplayOutput,
  type ExecuteResult,
  type JupyterServer,
  type KernelHandle,
} from "../support/jupyter-server.js";
import { isRunning } from "../../src/supervisor/kernel-processes.js";

/** Longer than any test waits: the run is interrupted long before; the rerun sets the real end. */
const UNTIL_INTERRUPTED = 10_000_000;

/** The setup cell: the same run mlpRun() makes in-process (test/run/support.ts), by the package's public API. */
function setupCell(dir: string, steps: number, checkpointEvery: number, evalEvery: number | false): string {
  return `import { resumable, mnist, mlpClassifier, adamw, cosineWithWarmup } from "nbresume";
const run = resumable({
  dir: ${JSON.stringify(dir)},
  model: mlpClassifier({ inputSize: 784, hidden: [32], classes: 10, dropout: 0.1 }),
  data: await mnist(),
  optimizer: adamw(),
  schedule: cosineWithWarmup({ lr: 3e-3, warmupSteps: 10, totalSteps: 100_000, minLr: 1e-4 }),
  steps: ${steps},
  batchSize: 32,
  checkpointEvery: ${checkpointEvery},
  evalEvery: ${evalEvery},
  evalBatches: 2,
  seed: 7,
  preview: { samples: 8 },
});`;
}

function assertOk(r: ExecuteResult, what: string): void {
  assert.equal(r.status, "ok", `${what} failed:\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

/** The step a live-progress update shows ("step 1,234 / 1,500 (82%)" in its text/plain). */
function progressStep(d: DisplayOutput | { data: Record<string, unknown> }): number | undefined {
  const text = d.data["text/plain"];
  const m = typeof text === "string" ? /^step ([\d,]+) \/ [\d,]+/m.exec(text) : null;
  return m === null ? undefined : Number(m[1]!.replaceAll(",", ""));
}

/** Waits until the kernel reports live progress at or beyond `step`. */
async function waitForProgress(kernel: KernelHandle, since: number, step: number, timeoutMs = 90_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const steps = kernel.log
      .filter((m) => m.at >= since && m.msgType === "update_display_data")
      .map((m) => progressStep({ data: (m.content.data ?? {}) as Record<string, unknown> }) ?? 0);
    const newest = Math.max(0, ...steps);
    if (newest >= step) return newest;
    if (Date.now() > deadline) throw new Error(`no progress update reached step ${step} within ${timeoutMs} ms (newest: ${newest})`);
    await sleep(50);
  }
}

async function pngImages(r: ExecuteResult): Promise<{ caption: string; width: number }[]> {
  const out: { caption: string; width: number }[] = [];
  for (const d of r.displays) {
    const png = d.data["image/png"];
    if (typeof png !== "string") continue;
    const decoded = await decodePng(Buffer.from(png, "base64"));
    out.push({ caption: typeof d.data["text/plain"] === "string" ? d.data["text/plain"] : "", width: decoded.width });
  }
  return out;
}

/** Names and modification times of everything in a run directory. */
function snapshotDir(dir: string): string {
  return readdirSync(dir)
    .sort()
    .map((n) => `${n}@${statSync(join(dir, n)).mtimeMs}`)
    .join("\n");
}

describe("the training cell in a real Jupyter kernel", function () {
  this.timeout(240_000);
  let server: JupyterServer;
  let root: string;

  before(async function () {
    const dist = join(REPO_ROOT, "dist", "run", "resumable.js");
    assert.ok(
      statSync(dist).mtimeMs >= statSync(join(REPO_ROOT, "src", "run", "resumable.ts")).mtimeMs,
      "dist/ is older than src/run: run `npm run build` (npm test does)",
    );
    root = mkdtempSync(join(tmpdir(), "nbresume-run-kernel-"));
    server = await startJupyterServer({ rootDir: NOTEBOOKS_DIR });
  });

  after(async function () {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("interrupts to an emergency checkpoint, stays stopped, resumes after a restart with a preview, and ends bitwise like an uninterrupted run", async function () {
    const dir = join(root, "interrupted");
    const kernel = await server.startKernel();
    try {
      assertOk(await kernel.execute(setupCell(dir, UNTIL_INTERRUPTED, 100_000, false)), "the setup cell");

      // Run the training cell and interrupt it mid-run (rolling checkpoints are rare here, so the
      // interrupt lands between saves and commits an emergency checkpoint).
      const since = Date.now();
      const running = kernel.execute("await run.train();", { timeoutMs: 180_000 });
      await waitForProgress(kernel, since, 150);
      await kernel.interrupt();
      const first = await running;
      assert.equal(first.status, "error", "an interrupted cell ends as interrupted, so Run All stops");
      // One clear line, not tslab's stack trace of its own internals.
      assert.ok(first.stderr.includes(kernelMessages.interruptedCell()), `no interrupt line:\n${first.stderr}`);
      assert.doesNotMatch(first.stderr, /Interrupted asynchronously|^\s+at /m, `internal frames shown:\n${first.stderr}`);
      const stopped = /^interrupted at step (\d+) — emergency checkpoint saved — rerun the cell to resume$/m.exec(first.stdout);
      assert.ok(stopped !== null, `no interrupt message:\n${first.stdout}\n${first.stderr}`);
      const step = Number(stopped[1]);
      assert.ok(step >= 150, `stopped at ${step}`);
      const previews = await pngImages(first);
      assert.equal(previews[0]?.caption.split("\n")[0], msg.freshPreviewCaption());
      assert.ok((previews[0]?.width ?? 0) > 100);
      assert.ok(first.updates.length >= 1, "the live progress is one display updated in place");
      const live = new Set(first.updates.map((u) => u.displayId));
      assert.equal(live.size, 1, "one live display");
      assert.ok(
        first.displays.some((d) => live.has(d.displayId)),
        "the live display is shown once, then updated",
      );
      const html = first.updates.at(-1)?.data["text/html"];
      assert.ok(typeof html === "string", "the live display is HTML");
      assert.match(html, /<progress /);

      const emergency = `ckpt-step-${String(step).padStart(8, "0")}-emergency`;
      const reader = await CheckpointStore.open(dir, { readOnly: true });
      assert.equal((await reader.verify(join(dir, emergency))).ok, true);
      await reader.close();

      // Nothing keeps running: a later cell, a wait, and neither output nor files change.
      const before = snapshotDir(dir);
      const quiet = Date.now();
      const later = await kernel.execute(`await new Promise((r) => setTimeout(r, 1500)); console.log("later cell");`);
      assertOk(later, "a later cell");
      assert.equal(later.stdout, "later cell\n");
      assert.deepEqual(
        kernel.log.filter((m) => m.at >= quiet && (m.msgType === "update_display_data" || m.msgType === "display_data")),
        [],
      );
      assert.equal(snapshotDir(dir), before, "the run directory did not change after the interrupt");

      // Restart the kernel and rerun the cells, now with an end in sight (a harmless change): it
      // resumes, with a preview of the restored model, and runs to the end.
      const end = step + 1500;
      const endText = end.toLocaleString("en-US");
      await kernel.restart();
      assertOk(await kernel.execute(setupCell(dir, end, 100_000, false)), "the setup cell after the restart");
      const second = await kernel.execute("await run.train();", { timeoutMs: 180_000 });
      assertOk(second, "the rerun training cell");
      assert.match(
        second.stdout,
        new RegExp(`^Found ${emergency}: step ${step.toLocaleString("en-US")} · epoch \\d+ · loss [\\d.]+ · emergency checkpoint, verified\\.$`, "m"),
      );
      assert.match(second.stdout, new RegExp(`^Resuming at step ${step.toLocaleString("en-US")} of ${endText} `, "m"));
      const resumedPreview = (await pngImages(second))[0];
      assert.match(resumedPreview?.caption ?? "", new RegExp(`^step ${step.toLocaleString("en-US")} · loss [\\d.]+ · emergency checkpoint`));
      assert.ok(second.updates.length >= 1);
      assert.match(second.stdout, new RegExp(`^Finished at step ${endText} `, "m"));

      // The same configuration without interruption, in this process: bitwise the same parameters.
      const whole = await (
        await mlpRun(join(root, "whole"), { steps: end, checkpointEvery: 100_000, evalEvery: false, output: new RecordingOutput() })
      ).train();
      assert.equal(whole.status, "finished");
      await assertSameModel(whole.checkpoint!.path, join(dir, `ckpt-step-${String(end).padStart(8, "0")}-final`));
    } finally {
      await kernel.shutdown();
    }
  });

  it("prints nbresume's own error in a cell as its message, without frames of nbresume, tslab or Node, and the cell fails", async function () {
    const kernel = await server.startKernel();
    try {
      const r = await kernel.execute(
        `import { resumable, mnist, mlpClassifier, adamw, constantLr } from "nbresume";
resumable({
  dir: ${JSON.stringify(join(root, "bad-steps"))},
  model: mlpClassifier({ inputSize: 784, hidden: [8], classes: 10 }),
  data: await mnist(),
  optimizer: adamw(),
  schedule: constantLr(1e-3),
  batchSize: 32,
  steps: -1,
});`,
      );
      assert.equal(r.status, "error");
      assert.match(r.stderr, /^RangeError: .*steps/m, r.stderr);
      assert.doesNotMatch(r.stderr, /node_modules|\/dist\/|node:/, `internal frames shown:\n${r.stderr}`);
      assert.ok(!existsSync(join(root, "bad-steps")), "nothing written for bad options");
    } finally {
      await kernel.shutdown();
    }
  });

  it("resumes from the last committed checkpoint after the kernel process is SIGKILLed mid-training", async function () {
    const dir = join(root, "killed");
    const kernel = await server.startKernel();
    try {
      assertOk(await kernel.execute(setupCell(dir, 1_000_000, 50, 50)), "the setup cell");
      const running = kernel.execute("await run.train();", { timeoutMs: 180_000 });
      const committed = (): string[] => (existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith("ckpt-step-")) : []);
      const deadline = Date.now() + 90_000;
      while (committed().length < 2) {
        if (Date.now() > deadline) throw new Error(`no two checkpoints within 90 s: ${committed().join(", ")}`);
        await sleep(50);
      }
      const pid = kernel.kernelPid();
      process.kill(pid, "SIGKILL");
      await assert.rejects(running, (e: unknown) => e instanceof ExecuteFailed);
      assert.equal(isRunning(pid), false);
      await kernel.waitReady();

      const reader = await CheckpointStore.open(dir, { readOnly: true });
      const last = await reader.resolve("auto");
      await reader.close();
      assert.ok(last !== undefined && last.step >= 50, "a committed checkpoint survived the kill");

      assertOk(await kernel.execute(setupCell(dir, 1_000_000, 50, 50)), "the setup cell in the new kernel");
      const rerun = await kernel.execute("await run.train({ signal: AbortSignal.timeout(3000) });", { timeoutMs: 120_000 });
      assertOk(rerun, "the rerun");
      assert.match(rerun.stdout, new RegExp(`^Found ${last.name}: step ${last.step.toLocaleString("en-US")} `, "m"));
      assert.match(rerun.stdout, new RegExp(`^Resuming at step ${last.step.toLocaleString("en-US")} of 1,000,000 `, "m"));
      // The timeout may land while a rolling checkpoint is being saved: then that one is the resume point.
      assert.match(rerun.stdout, /^interrupted at step \d+ — (emergency checkpoint saved|checkpoint of step \d+ already saved) — rerun the cell to resume$/m);
    } finally {
      await kernel.shutdown();
    }
  });
});

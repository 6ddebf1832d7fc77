/**
 * The nbresume kernel in a real Jupyter server (Debian's jupyter-server on loopback), driven with
 * @jupyterlab/services as JupyterLab drives it. Kernels start in notebooks/, like the project's
 * notebooks, so `import ... from "nbresume"` resolves the package itself (dist/, built by `npm test`).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ExecuteFailed,
  NOTEBOOKS_DIR,
  REPO_ROOT,
  startJupyterServer,
  type ExecuteResult,
  type JupyterServer,
  type KernelHandle,
} from "../support/jupyter-server.js";
import { isRunning } from "../../src/supervisor/kernel-processes.js";

/** A real 2×1 PNG (red, blue), so the bytes that travel are an image, not a placeholder. */
const PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAEElEQVR4nGP4z8DAwPCfAQAK/AL+5sSyewAAAABJRU5ErkJggg==";
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const PRELUDE = `import { createDisplay, runExclusive, stopReason } from "nbresume";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));`;

function assertOk(r: ExecuteResult, what: string): void {
  assert.equal(r.status, "ok", `${what} failed:\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

describe("the nbresume kernel in a real Jupyter server", function () {
  this.timeout(120_000);
  let server: JupyterServer;
  /** One kernel for the tests whose state does not leak into each other's assertions. */
  let shared: KernelHandle;

  before(async function () {
    const dist = join(REPO_ROOT, "dist", "notebook", "index.js");
    const src = join(REPO_ROOT, "src", "notebook", "index.ts");
    let built = false;
    try {
      built = statSync(dist).mtimeMs >= statSync(src).mtimeMs;
    } catch {
      built = false;
    }
    assert.ok(built, `dist/ is missing or older than src/notebook: run \`npm run build\` (npm test does) before these tests`);
    server = await startJupyterServer({ rootDir: NOTEBOOKS_DIR });
    shared = await server.startKernel();
    assertOk(await shared.execute(PRELUDE), "the prelude cell");
  });

  after(async function () {
    await server?.close();
  });

  it("imports the package by its bare name in a cell, with its type declarations", async function () {
    const r = await shared.execute(`import { tensor, type Tensor } from "nbresume";
const t: Tensor<"float32"> = tensor("float32", [2, 3]);
console.log(t.shape.join("x"), t.data.constructor.name, require.resolve("nbresume"));`);
    assertOk(r, "the import cell");
    assert.equal(r.stdout.trim(), `2x3 Float32Array ${join(REPO_ROOT, "dist", "index.js")}`);
  });

  it("reports a type error against the package's declarations and does not run the cell", async function () {
    const r = await shared.execute(`const wrong: Tensor<"int32"> = tensor("float32", [1]);
console.log("ran anyway");`);
    assert.equal(r.status, "error");
    assert.match(r.stderr, /Type 'Tensor<"float32">' is not assignable to type 'Tensor<"int32">'/);
    assert.doesNotMatch(r.stdout, /ran anyway/);
  });

  it("sends a PNG bundle as display_data and its update as update_display_data to the same display id", async function () {
    const r = await shared.execute(`const png = Buffer.from("${PNG_BASE64}", "base64");
const d = createDisplay();
d.show({ "image/png": png, "text/plain": "step 0" }, { "image/png": { width: 40 } });
d.update({ "image/png": png, "text/plain": "step 1" });`);
    assertOk(r, "the display cell");
    assert.equal(r.stdout, "", "a kernel display must not fall back to terminal text");
    assert.equal(r.displays.length, 1);
    assert.equal(r.updates.length, 1);
    const [shown] = r.displays;
    const [updated] = r.updates;
    assert.ok(shown !== undefined && updated !== undefined);
    assert.ok(shown.displayId !== undefined && shown.displayId.length > 0);
    assert.equal(updated.displayId, shown.displayId);
    assert.equal(shown.data["text/plain"], "step 0");
    assert.equal(updated.data["text/plain"], "step 1");
    assert.deepEqual(shown.metadata, { "image/png": { width: 40 } });
    for (const out of [shown, updated]) {
      const bytes = Buffer.from(String(out.data["image/png"]), "base64");
      assert.deepEqual(bytes.subarray(0, 8), PNG_SIGNATURE);
      assert.equal(bytes.toString("base64"), PNG_BASE64);
    }
  });

  it("falls back to tslab's public display API with the richest single MIME type per message", async function () {
    const r = await shared.execute(`import { TslabDisplay } from "../dist/notebook/tslab-display.js";
const single = new TslabDisplay({ singleMimeOnly: true });
single.show({ "image/png": Buffer.from("${PNG_BASE64}", "base64"), "text/plain": "caption" });
single.update({ "text/html": "<b>b</b>", "text/plain": "b" });`);
    assertOk(r, "the fallback display cell");
    assert.equal(r.displays.length, 1);
    assert.equal(r.updates.length, 1);
    assert.deepEqual(Object.keys(r.displays[0]?.data ?? {}), ["image/png"]);
    assert.equal(r.displays[0]?.data["image/png"], PNG_BASE64);
    assert.deepEqual(r.updates[0]?.data, { "text/html": "<b>b</b>" });
    assert.equal(r.updates[0]?.displayId, r.displays[0]?.displayId);
  });

  it("stops an async loop on a kernel interrupt: its last message lands in the cell and nothing runs afterwards", async function () {
    const since = Date.now();
    const running = shared.execute(`await runExclusive("interrupt-test", async (signal) => {
  let i = 0;
  while (!signal.aborted) { console.log("tick", i++); await sleep(50); }
  await sleep(300); // stands in for writing the emergency checkpoint
  console.log("stopped at", i, "by", stopReason(signal));
});`);
    await shared.waitForStream((t) => t.includes("tick 3"), since);
    await shared.interrupt();
    const r = await running;
    // The cell ends as interrupted (so "Run all" stops), but only after the loop has said goodbye.
    assert.equal(r.status, "error");
    assert.match(r.stderr, /Interrupted/);
    assert.match(r.stdout, /stopped at \d+ by SIGINT\n/);
    const ticks = r.stdout.split("\n").filter((l) => l.startsWith("tick "));
    assert.ok(ticks.length >= 4);

    const afterInterrupt = Date.now();
    const later = await shared.execute(`await sleep(600); console.log("later cell");`);
    assertOk(later, "the later cell");
    assert.equal(later.stdout, "later cell\n");
    assert.doesNotMatch(shared.streamTextSince(afterInterrupt), /tick/);
    // After an await: during a cell's synchronous part vm breakOnSigint hides every SIGINT listener.
    const listeners = await shared.execute(`await sleep(0); console.log(process.listenerCount("SIGINT"), process.listenerCount("SIGTERM"))`);
    assert.equal(listeners.stdout, "1 0\n", "only tslab's own SIGINT listener is left, none of ours");
  });

  it("aborts and awaits an old loop still running in the background before a rerun starts (never two writers)", async function () {
    const kernel = await server.startKernel();
    try {
      assertOk(await kernel.execute(PRELUDE), "the prelude cell");
      const loop = (tag: string, steps: string) => `runExclusive("rerun-test", async (signal) => {
  let i = 0;
  while (!signal.aborted && i < ${steps}) { console.log("${tag} tick", i++); await sleep(50); }
  await sleep(200); // the old run's emergency checkpoint
  console.log("${tag} stopped", stopReason(signal) ?? "done");
})`;
      const since = Date.now();
      // Started without await: the cell ends at once and the loop keeps going, like an orphan.
      assertOk(await kernel.execute(`void ${loop("A", "Infinity")};`), "the first run's cell");
      await kernel.waitForStream((t) => t.includes("A tick 3"), since);
      const r = await kernel.execute(`await ${loop("B", "5")};`);
      assertOk(r, "the rerun cell");
      const lines = kernel
        .streamTextSince(since)
        .split("\n")
        .filter((l) => l !== "");
      const aStopped = lines.indexOf("A stopped superseded");
      const bFirst = lines.indexOf("B tick 0");
      assert.ok(aStopped >= 0, `the old run was not told it was superseded:\n${lines.join("\n")}`);
      assert.ok(bFirst > aStopped, `the new run started before the old one returned:\n${lines.join("\n")}`);
      assert.ok(
        lines.slice(aStopped + 1).every((l) => !l.startsWith("A ")),
        `the old run wrote after it stopped:\n${lines.join("\n")}`,
      );
      assert.equal(lines.at(-1), "B stopped done");
      assert.match(r.stdout, /^A stopped superseded\nB tick 0\n/, "the old run's goodbye and the new run land in the rerun cell, in that order");
    } finally {
      await kernel.shutdown();
    }
  });

  it("stops a run cooperatively when the kernel is restarted (Jupyter interrupts before it shuts a kernel down)", async function () {
    const kernel = await server.startKernel();
    const dir = mkdtempSync(join(tmpdir(), "nbresume-restart-"));
    try {
      assertOk(await kernel.execute(PRELUDE), "the prelude cell");
      const marker = join(dir, "emergency.txt");
      const since = Date.now();
      // Started without await, so the restart, not a cell, is what stops it.
      assertOk(
        await kernel.execute(`import { writeFileSync } from "node:fs";
void runExclusive("restart-test", async (signal) => {
  let i = 0;
  while (!signal.aborted) { console.log("tick", i++); await sleep(50); }
  writeFileSync(${JSON.stringify(marker)}, \`stopped at \${i} by \${stopReason(signal)}\`); // the emergency checkpoint
});`),
        "the run cell",
      );
      await kernel.waitForStream((t) => t.includes("tick 3"), since);
      const oldPid = kernel.kernelPid();
      await kernel.restart();
      assert.match(readFileSync(marker, "utf8"), /^stopped at \d+ by SIGINT$/);
      assert.equal(isRunning(oldPid), false);
      assertOk(await kernel.execute(`console.log("fresh")`), "a cell after the restart");
    } finally {
      await kernel.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("notices a SIGKILLed kernel process, restarts it, and runs cells again", async function () {
    const kernel = await server.startKernel();
    try {
      const oldPid = kernel.kernelPid();
      const pidCell = await kernel.execute(`console.log(process.pid)`);
      assert.equal(pidCell.stdout.trim(), String(oldPid), "kernelPid() finds the process that runs the cells");
      const running = kernel.execute(`while (true) { console.log("busy"); await new Promise((r) => setTimeout(r, 100)); }`);
      await sleep(500);
      process.kill(oldPid, "SIGKILL");
      // The server's restarter polls the process (every 3 s) and restarts it; the running cell fails.
      await assert.rejects(running, (e: unknown) => e instanceof ExecuteFailed && /went "(autorestarting|restarting|dead)"/.test(e.message));
      assert.equal(isRunning(oldPid), false);
      await kernel.waitReady();
      const afterCrash = await kernel.execute(`console.log("alive", process.pid)`);
      assertOk(afterCrash, "the cell after the automatic restart");
      const newPid = kernel.kernelPid();
      assert.notEqual(newPid, oldPid);
      assert.equal(afterCrash.stdout.trim(), `alive ${newPid}`);
      // And an explicit restart (what a user does next) gives yet another working process.
      await kernel.restart();
      const afterRestart = await kernel.execute(`console.log("alive", process.pid)`);
      assertOk(afterRestart, "the cell after the explicit restart");
      assert.equal(afterRestart.stdout.trim(), `alive ${kernel.kernelPid()}`);
      assert.notEqual(kernel.kernelPid(), newPid);
    } finally {
      await kernel.shutdown();
    }
  });
});

/**
 * How `nbresume run` stops, with a real Jupyter server and the real nbresume kernel: an ordinary
 * cell error stops the run with the cell named (no restart: it is a bug, not a crash); SIGTERM
 * mid-training interrupts the kernel so the training commits its emergency checkpoint, then the
 * notebook is written, the kernel shut down and the exit code is 143; a second SIGINT stops at once.
 */
import assert from "node:assert/strict";
import { copyFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { runMessages } from "../../src/run/messages.js";
import { isRunning } from "../../src/supervisor/kernel-processes.js";
import { cellName, supervisorMessages as msg, SupervisorExit } from "../../src/supervisor/messages.js";
import { joinText } from "../../src/supervisor/notebook-file.js";
import { NOTEBOOKS_DIR } from "../support/jupyter-server.js";
import { notebookWithCells } from "../support/nbconvert.js";
import { createProject, readExecuted, SupervisedRun, type Project } from "./supervised-run.js";

const FLAGSHIP = "mnist-diffusion.ipynb";

function outputsText(cell: { outputs?: readonly Record<string, unknown>[] } | undefined): string {
  return (cell?.outputs ?? []).map((o) => joinText(o["text"])).join("");
}

describe("nbresume run stops", function () {
  this.timeout(180_000);
  let project: Project;

  before(function () {
    project = createProject("nbresume-supervisor-stops-");
    copyFileSync(join(NOTEBOOKS_DIR, FLAGSHIP), join(project.dir, FLAGSHIP));
  });

  after(function () {
    project?.remove();
  });

  it("at an ordinary cell error: no restart, the error reported with the cell, later cells not run", async function () {
    const notebook = project.writeNotebook(
      "error.ipynb",
      notebookWithCells([
        'console.log("first")',
        'const x: number = 1;\nconsole.warn("a warning before it");\nthrow new Error("boom in cell two");',
        'console.log("third")',
      ]),
    );
    const run = await SupervisedRun.run(project, [notebook]);
    assert.equal(run.exit.code, SupervisorExit.FAILED, run.output);
    assert.ok(run.stderr.includes(msg.cellFailed(cellName(1, 3, "const x: number = 1;"))), run.output);
    assert.equal(run.stderr.split("\n").filter((l) => l === "Error: boom in cell two").length, 1, `the error is printed once:\n${run.output}`);
    assert.equal(run.stderr.split("\n").filter((l) => l === "a warning before it").length, 1, `a warning is printed once:\n${run.output}`);
    assert.ok(!run.stderr.includes(msg.restarting(1, 5)) && !run.stdout.includes("third"), run.output);
    const executed = readExecuted(join(project.dir, "error.executed.ipynb"));
    assert.equal(executed.metadata.nbresume?.run?.status, "cell-error");
    assert.deepEqual(executed.metadata.nbresume?.run?.restarts, []);
    assert.equal(outputsText(executed.cells[0]), "first\n");
    assert.match(outputsText(executed.cells[1]), /boom in cell two/);
    assert.deepEqual([executed.cells[2]?.outputs, executed.cells[2]?.execution_count], [[], null], "the cell after the error did not run");
    assert.deepEqual(run.kernelPids(), [], "the kernel is shut down");
  });

  it("on SIGTERM mid-training: emergency checkpoint, kernel gone, executed notebook written, exit 143", async function () {
    // The full-size flagship: its first rolling checkpoint is 250 steps away, so the stop commits an emergency one.
    const run = SupervisedRun.start(project, [FLAGSHIP, "--param", "dir=runs/term", "--out", "term.ipynb"], { NBRESUME_SMOKE: "" });
    await run.until("training", () => /^Training 3,000 steps\.$/m.test(run.stdout));
    await sleep(1500); // a few steps in: far from the first rolling checkpoint
    const kernels = run.kernelPids();
    assert.equal(kernels.length, 1, run.output);
    run.signal("SIGTERM");
    const exit = await run.finish();
    assert.equal(exit.code, SupervisorExit.SIGTERM, run.output);
    assert.ok(run.stderr.includes(msg.stopping("SIGTERM", 60_000)), run.output);
    assert.ok(run.stderr.includes(msg.stopped("SIGTERM", join(project.dir, "term.ipynb"))), run.output);

    const store = await CheckpointStore.open(join(project.dir, "runs", "term"), { readOnly: true });
    try {
      const newest = await store.resolve("auto");
      assert.equal(newest?.kind, "emergency", run.output);
      assert.ok(run.stdout.includes(runMessages.interrupted(newest.step)), run.output);
    } finally {
      await store.close();
    }
    assert.ok(!isRunning(kernels[0]!), "the kernel process is gone");
    assert.deepEqual(run.kernelPids(), []);
    const executed = readExecuted(join(project.dir, "term.ipynb"));
    assert.equal(executed.metadata.nbresume?.run?.status, "stopped");
    assert.ok(
      executed.cells.some((c) => outputsText(c).includes("interrupted at step")),
      "the interrupted cell's output is in the notebook",
    );
  });

  it("removes its temporary directory, server and kernel when its stdout pipe closes (nbresume run … | head -5)", async function () {
    const notebook = project.writeNotebook(
      "chatty.ipynb",
      notebookWithCells(["for (let i = 0; i < 600; i++) {\n  console.log(`line ${i}`);\n  await new Promise((r) => setTimeout(r, 50));\n}"]),
    );
    const run = SupervisedRun.start(project, [notebook]);
    await run.until("the cell's output", () => run.stdout.includes("line 5\n"));
    const kernels = run.kernelPids();
    assert.equal(kernels.length, 1, run.output);
    const runtimeDirs = (): string[] => readdirSync(project.tmp).filter((name) => name.startsWith("nbresume-run-"));
    assert.equal(runtimeDirs().length, 1, "the server's runtime directory exists while it runs");
    run.closeStdout();
    await run.finish(60_000);
    const deadline = Date.now() + 30_000;
    while ((runtimeDirs().length > 0 || kernels.some(isRunning)) && Date.now() < deadline) await sleep(100);
    assert.deepEqual(runtimeDirs(), [], `no /tmp/nbresume-run-* left:\n${run.output}`);
    assert.ok(!kernels.some(isRunning), "the kernel stopped");
  });

  it("takes its own server and kernel with it when it is itself SIGKILLed", async function () {
    const run = SupervisedRun.start(project, [FLAGSHIP, "--param", "dir=runs/killed-supervisor", "--out", "killed-supervisor.ipynb"]);
    await run.until("training", () => /^Training \d+ steps\.$/m.test(run.stdout));
    const server = run.serverPid();
    const kernels = run.kernelPids();
    assert.ok(server !== undefined && kernels.length === 1, run.output);
    run.signal("SIGKILL");
    await run.finish();
    const deadline = Date.now() + 30_000;
    while ([server, ...kernels].some(isRunning) && Date.now() < deadline) await sleep(100);
    assert.ok(!isRunning(server), "the server stopped");
    assert.ok(!kernels.some(isRunning), "the kernel stopped");
    const runtimeDirs = (): string[] => readdirSync(project.tmp).filter((name) => name.startsWith("nbresume-run-"));
    while (runtimeDirs().length > 0 && Date.now() < deadline + 10_000) await sleep(100);
    assert.deepEqual(runtimeDirs(), [], "its runtime directory /tmp/nbresume-run-* is removed");
  });

  it("at once on a second SIGINT: the kernel is killed, the notebook written, exit 130", async function () {
    const run = SupervisedRun.start(project, [FLAGSHIP, "--param", "dir=runs/int", "--out", "int.ipynb"], { NBRESUME_SMOKE: "" });
    await run.until("training", () => /^Training 3,000 steps\.$/m.test(run.stdout));
    const kernels = run.kernelPids();
    run.signal("SIGINT");
    await run.until("the first SIGINT's notice", () => run.stderr.includes(msg.stopping("SIGINT", 60_000)), 10_000);
    run.signal("SIGINT");
    const exit = await run.finish();
    assert.equal(exit.code, SupervisorExit.SIGINT, run.output);
    assert.ok(run.stderr.includes(msg.stoppedAtOnce("SIGINT")), run.output);
    assert.ok(
      kernels.every((pid) => !isRunning(pid)),
      "the kernel process is gone",
    );
    assert.equal(readExecuted(join(project.dir, "int.ipynb")).metadata.nbresume?.run?.status, "stopped");
  });
});

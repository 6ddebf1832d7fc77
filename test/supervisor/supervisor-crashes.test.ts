/**
 * `nbresume run` through crashes, with a real Jupyter server and the real nbresume kernel: the
 * flagship notebook (smoke size, 90 steps) with its kernel process SIGKILLed three times at random
 * moments of training, and with the supervisor's own Jupyter server SIGKILLed, each ends with the
 * same parameters, bit for bit, as a run nobody touched; a kernel that dies at once on every start
 * is given up on, by --max-restarts or as a crash loop, and so is one that hangs (--silent-timeout).
 */
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { supervisorMessages as msg, SupervisorExit } from "../../src/supervisor/messages.js";
import { cellSource, joinText, type Notebook } from "../../src/supervisor/notebook-file.js";
import { assertBitwiseEqual } from "../support/bitwise-equal.js";
import { NOTEBOOKS_DIR } from "../support/jupyter-server.js";
import { notebookWithCells } from "../support/nbconvert.js";
import { createProject, newestCheckpoint, readExecuted, SupervisedRun, type Project } from "./supervised-run.js";

const STEPS = 90;
const FLAGSHIP = "mnist-diffusion.ipynb";

/** Both runs' final checkpoints hold the same tensors, every group, bit for bit. */
async function assertSameFinal(a: string, b: string): Promise<void> {
  const ra = await CheckpointStore.open(a, { readOnly: true });
  const rb = await CheckpointStore.open(b, { readOnly: true });
  try {
    const x = await ra.load("latest");
    const y = await rb.load("latest");
    assert.equal(x.kind, "final");
    assert.equal(y.kind, "final");
    assert.equal(x.step, STEPS);
    assert.equal(y.step, STEPS);
    assert.deepEqual(Object.keys(x.tensors).sort(), Object.keys(y.tensors).sort());
    assert.ok("model" in x.tensors && "optimizer" in x.tensors);
    for (const group of Object.keys(x.tensors)) assertBitwiseEqual(x.tensors[group]!, y.tensors[group]!, `${group} of ${a} vs ${b}`);
  } finally {
    await ra.close();
    await rb.close();
  }
}

/** How many times the training started (or resumed) so far, by its own "Training …" line. */
function trainings(run: SupervisedRun): number {
  return run.stdout.split("\n").filter((l) => /^Training (\d[\d,]* steps|steps \d)/.test(l)).length;
}

/** The stdout of the notebook's training cells (the first stops itself after a few seconds, the second trains to the end). */
function trainingText(notebook: Notebook): string {
  const cells = notebook.cells.filter((c) => c.cell_type === "code" && cellSource(c).includes("await run.train("));
  assert.equal(cells.length, 2);
  return cells.flatMap((c) => (c.outputs ?? []).filter((o) => o.output_type === "stream" && o["name"] === "stdout").map((o) => joinText(o["text"]))).join("");
}

describe("nbresume run keeps the flagship notebook going through crashes", function () {
  this.timeout(240_000);
  let project: Project;
  let whole: string;

  before(async function () {
    project = createProject("nbresume-supervisor-");
    copyFileSync(join(NOTEBOOKS_DIR, FLAGSHIP), join(project.dir, FLAGSHIP));
    // The reference: the same notebook and parameters, nobody touching it.
    const run = await SupervisedRun.run(project, [FLAGSHIP, "--param", `steps=${STEPS}`, "dir=runs/whole", "--out", "whole.ipynb"]);
    assert.equal(run.exit.code, 0, run.output);
    whole = join(project.dir, "runs", "whole");
  });

  after(function () {
    project?.remove();
  });

  it("finishes after its kernel is SIGKILLed three times mid-training, bitwise equal to an uninterrupted run, outputs in the executed notebook", async function () {
    const dir = join(project.dir, "runs", "killed");
    const run = SupervisedRun.start(project, [FLAGSHIP, "--param", `steps=${STEPS}`, "dir=runs/killed", "--out", "killed.ipynb"]);
    const kills: number[] = [];
    for (let k = 0; k < 3; k++) {
      // Training has (re)started in this kernel, and made a checkpoint of its own: a random moment after that.
      const before = trainings(run);
      const resumedAt = (await newestCheckpoint(dir))?.step ?? -1;
      await run.until(`training ${k + 1}`, () => trainings(run) > before);
      await run.until(`a checkpoint after step ${resumedAt}`, async () => ((await newestCheckpoint(dir))?.step ?? -1) > resumedAt);
      await sleep(Math.random() * 600);
      const pids = run.kernelPids();
      assert.equal(pids.length, 1, `one kernel runs: ${pids.join(", ")}\n${run.output}`);
      process.kill(pids[0]!, "SIGKILL");
      kills.push(pids[0]!);
      await run.until(`restart ${k + 1}`, () => run.stderr.includes(msg.restarting(k + 1, 5)));
    }
    const exit = await run.finish();
    assert.equal(exit.code, SupervisorExit.FINISHED, run.output);
    assert.equal(new Set(kills).size, 3, "each kill hit a new kernel process");

    // What the supervisor reported and recorded: three losses, each with the step it resumed from.
    const executed = readExecuted(join(project.dir, "killed.ipynb"));
    const record = executed.metadata.nbresume?.run;
    assert.equal(record?.status, "finished");
    assert.deepEqual(record?.parameters, { steps: STEPS, dir: "runs/killed" });
    assert.equal(record?.restarts.length, 3, run.output);
    for (const r of record?.restarts ?? []) {
      // The server restarts a dead kernel once; one that dies again soon after is dropped, and the supervisor starts another.
      assert.ok([msg.lossRestarted(), msg.lossDead(), msg.lossGone()].includes(r.reason), r.reason);
      assert.ok(r.resumedFrom !== null && r.checkpoint !== null, JSON.stringify(r));
      assert.ok(run.stderr.includes(msg.resumesFrom(r.resumedFrom, r.checkpoint)), run.output);
      assert.match(run.stdout, new RegExp(`^Resuming at step ${r.resumedFrom.toLocaleString("en-US")} of ${STEPS} `, "m"));
    }
    assert.equal(run.stderr.split("\n").filter((l) => l.startsWith("Training resumed at step ")).length, 3, run.output);

    // The executed notebook holds the final outputs: the training digits, the end of training.
    const images = executed.cells.flatMap((c) =>
      (c.outputs ?? []).filter((o) => typeof (o["data"] as Record<string, unknown> | undefined)?.["image/png"] === "string"),
    );
    assert.ok(images.length >= 2, "pictures are kept as PNG");
    assert.match(
      trainingText(executed),
      new RegExp(`^Finished at step ${STEPS} · loss [\\d.]+ · final checkpoint ckpt-step-${String(STEPS).padStart(8, "0")}-final\\.$`, "m"),
    );

    await assertSameFinal(dir, whole);
  });

  it("restarts its own Jupyter server when that is SIGKILLed mid-training, and resumes to the same parameters", async function () {
    const dir = join(project.dir, "runs", "server");
    const run = SupervisedRun.start(project, [FLAGSHIP, "--param", `steps=${STEPS}`, "dir=runs/server", "--out", "server.ipynb"]);
    await run.until("training", () => trainings(run) > 0);
    await run.until("a checkpoint", async () => (await newestCheckpoint(dir)) !== undefined);
    const server = run.serverPid();
    assert.ok(server !== undefined, run.output);
    const kernels = run.kernelPids();
    process.kill(server, "SIGKILL");
    const exit = await run.finish();
    assert.equal(exit.code, SupervisorExit.FINISHED, run.output);
    assert.ok(run.stderr.includes(msg.restartingServer()), run.output);
    assert.ok(run.stderr.includes(msg.lossServerExited("SIGKILL")), run.output);
    assert.notEqual(run.serverPid(), server);
    assert.ok(
      kernels.every((pid) => !run.kernelPids().includes(pid)),
      "the kernel the dead server left behind was stopped",
    );
    const record = readExecuted(join(project.dir, "server.ipynb")).metadata.nbresume?.run;
    assert.equal(record?.restarts.length, 1);
    assert.equal(record?.restarts[0]?.reason, msg.lossServerExited("SIGKILL"));
    assert.ok((record?.restarts[0]?.resumedFrom ?? -1) >= 0);
    await assertSameFinal(dir, whole);
  });
});

describe("nbresume run gives up on a kernel that keeps failing", function () {
  this.timeout(120_000);
  let project: Project;
  let notebook: string;

  before(function () {
    project = createProject("nbresume-supervisor-loop-");
    project.installDyingKernel("dies");
    notebook = project.writeNotebook("loop.ipynb", notebookWithCells(['console.log("never runs")']));
  });

  after(function () {
    project?.remove();
  });

  const lossTexts = [msg.lossGone(), msg.lossDead(), msg.lossRestarted()];

  it("that dies at once on every start: after --max-restarts restarts, with the count in the message and exit code 3", async function () {
    const run = await SupervisedRun.run(project, [notebook, "--kernel", "dies", "--max-restarts", "1"]);
    assert.equal(run.exit.code, SupervisorExit.GAVE_UP, run.output);
    assert.ok(
      lossTexts.some((d) => run.stderr.includes(msg.gaveUpMaxRestarts(2, 1, msg.whileStarting(), d))),
      run.output,
    );
    assert.equal(readExecuted(join(project.dir, "loop.executed.ipynb")).metadata.nbresume?.run?.status, "gave-up");
    assert.ok(!run.stdout.includes("never runs"));
  });

  it("that dies at once on every start: as a crash loop after two losses in a row without progress, well before the restart limit", async function () {
    const run = await SupervisedRun.run(project, [notebook, "--kernel", "dies", "--max-restarts", "10"]);
    assert.equal(run.exit.code, SupervisorExit.GAVE_UP, run.output);
    assert.ok(
      lossTexts.some((d) => run.stderr.includes(msg.gaveUpCrashLoop(msg.whileStarting(), d))),
      run.output,
    );
    assert.equal(run.stderr.split("\n").filter((l) => l.startsWith(msg.restarting(1, 10))).length, 1, "restarted once, then gave up");
  });

  it("treats a kernel that sends nothing for --silent-timeout as hung: interrupted, restarted, and given up on when it hangs again", async function () {
    const silent = project.writeNotebook("silent.ipynb", notebookWithCells(['console.log("before")', "await new Promise(() => undefined);"]));
    const run = await SupervisedRun.run(project, [silent, "--silent-timeout", "2", "--stop-timeout", "5"]);
    assert.equal(run.exit.code, SupervisorExit.GAVE_UP, run.output);
    const hung = run.stderr.split("\n").filter((l) => l.startsWith("Kernel lost during cell 2 of 2") && l.includes("(--silent-timeout)"));
    assert.equal(hung.length, 2, run.output);
    assert.equal(run.stdout.split("\n").filter((l) => l === "before").length, 2, "the notebook ran again from the top after the first hang");
    assert.match(run.stderr, /^Giving up: the kernel was lost twice in a row without any training progress/m);
  });
});

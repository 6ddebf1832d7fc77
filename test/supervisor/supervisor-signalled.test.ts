/**
 * `nbresume run` when the kernel itself gets SIGTERM (what a machine shutdown or a `kill` does), not
 * from the supervisor, and the kernel lives on — here, as in the user's trial, because something in
 * it listens for SIGTERM (a library's shutdown hook; the notebook sets one): the training commits
 * its emergency checkpoint and its cell returns as if done. The supervisor reads the run's summary.json, sees a signal it did not send stopped the
 * training, and treats it as a lost kernel: a new kernel, the notebook again, the training resumed
 * to its last step — where it used to say "Finished" with the training a fraction of the way.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CheckpointStore } from "../../src/checkpoint/store-factory.js";
import { runMessages } from "../../src/run/messages.js";
import { supervisorMessages as msg, SupervisorExit } from "../../src/supervisor/messages.js";
import { notebookWithCells } from "../support/nbconvert.js";
import { createProject, readExecuted, SupervisedRun, type Project } from "./supervised-run.js";

const STEPS = 4000;

function tinyNotebook(): object {
  const code = notebookWithCells([
    'import { resumable, mnist, mlpClassifier, adamw, constantLr } from "nbresume";',
    'let steps = 100;\nlet dir = "runs/local";',
    '// A shutdown hook, as a library installs one: the kernel survives a SIGTERM.\nprocess.on("SIGTERM", () => console.log("shutdown hook: SIGTERM"));\nvoid 0;',
    "const data = await mnist();",
    "const run = resumable({ dir, model: mlpClassifier({ inputSize: 784, hidden: [16], classes: 10 }), data, optimizer: adamw(),\n" +
      "  schedule: constantLr(1e-3), steps, batchSize: 16, checkpointEvery: 1000 });\nawait run.train();",
    'console.log("after training");',
  ]);
  return { ...code, cells: code.cells.map((c, i) => (i === 1 ? { ...c, metadata: { tags: ["parameters"] } } : c)) };
}

describe("nbresume run when the kernel is sent SIGTERM by someone else", function () {
  this.timeout(240_000);
  let project: Project;

  before(function () {
    project = createProject("nbresume-supervisor-signalled-");
  });

  after(function () {
    project?.remove();
  });

  it("resumes the interrupted training in a new kernel and finishes it: exit 0, the final step's checkpoint", async function () {
    const notebook = project.writeNotebook("term.ipynb", tinyNotebook());
    const run = SupervisedRun.start(project, [notebook, "--param", `steps=${STEPS}`, "dir=runs/term", "--out", "term.out.ipynb"]);
    await run.until("training", () => run.stdout.includes(`Training ${STEPS.toLocaleString("en-US")} steps.`));
    await sleep(600);
    const pids = run.kernelPids();
    assert.equal(pids.length, 1, run.output);
    process.kill(pids[0]!, "SIGTERM");
    const exit = await run.finish();
    assert.equal(exit.code, SupervisorExit.FINISHED, run.output);

    const interruptedAt = /^interrupted at step (\d+) — /m.exec(run.stdout);
    assert.ok(interruptedAt !== null, `the kernel's training stopped on the SIGTERM:\n${run.output}`);
    const step = Number(interruptedAt[1]);
    assert.ok(step > 0 && step < STEPS, run.output);
    // An emergency checkpoint, or the rolling one of that very step when the signal came just as it committed.
    assert.ok(run.stdout.includes(runMessages.interrupted(step)) || run.stdout.includes(runMessages.interruptedAlreadySaved(step)), run.output);

    const record = readExecuted(join(project.dir, "term.out.ipynb")).metadata.nbresume?.run;
    assert.equal(record?.status, "finished");
    assert.equal(record?.restarts.length, 1, run.output);
    const restart = record.restarts[0]!;
    assert.equal(restart.reason, msg.lossSignalled("SIGTERM", step, STEPS));
    assert.equal(restart.cell, 6);
    assert.equal(restart.resumedFrom, step, "the emergency checkpoint is the resume point");
    assert.match(run.stdout, new RegExp(`^Resuming at step ${step.toLocaleString("en-US")} of ${STEPS.toLocaleString("en-US")} `, "m"));
    assert.equal(run.stdout.split("\n").filter((l) => l === "after training").length, 1, "the cells after training ran once, after it finished");

    const store = await CheckpointStore.open(join(project.dir, "runs", "term"), { readOnly: true });
    try {
      const final = await store.resolve("latest");
      assert.equal(final?.step, STEPS);
      assert.equal(final?.kind, "final");
    } finally {
      await store.close();
    }
  });
});

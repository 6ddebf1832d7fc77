/**
 * What `nbresume run` says about a crash, with a real Jupyter server and the real nbresume kernel,
 * on a notebook shaped like a user's: a title, a parameters cell (`let steps = 300; let dir =
 * "runs/sup";`), the data, the run, a training cell, one more cell. The kernel is SIGKILLed the
 * moment the checkpoint at step 150 is committed — by the training cell itself, so the kill comes
 * before the live display (redrawn once a second) can show that step. The crash line gives the step
 * the training had reached (not the display's stale one), the executed notebook records the lost
 * cell with the number the crash line gives it, and the injected parameters cell shows nothing.
 */
import { readdirSync, readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runMessages } from "../../src/run/messages.js";
import { cellName, supervisorMessages as msg, SupervisorExit } from "../../src/supervisor/messages.js";
import { cellHeadline, cellTags, type NotebookCell } from "../../src/supervisor/notebook-file.js";
import { INJECTED_TAG } from "../../src/supervisor/parameters.js";
import { parseProgress } from "../../src/supervisor/progress-text.js";
import { notebookWithCells } from "../support/nbconvert.js";
import { createProject, readExecuted, SupervisedRun, type Project } from "./supervised-run.js";

const TRAINING =
  "// Killed once, the moment the checkpoint at step 150 is committed (a SIGKILL from outside, as in a user's trial).\n" +
  'if (!existsSync("killed-once"))\n' +
  "  setInterval(() => {\n" +
  '    if (existsSync(dir) && readdirSync(dir).some((name) => name.startsWith("ckpt-step-00000150-"))) {\n' +
  '      writeFileSync("killed-once", "");\n' +
  '      process.kill(process.pid, "SIGKILL");\n' +
  "    }\n" +
  "  }, 2);\n" +
  "await run.train();";

/** The user's notebook: a markdown title first, so a cell's place among all cells is not its place among the code cells. */
function usersNotebook(): object {
  const code = notebookWithCells([
    'import { resumable, mnist, mlpClassifier, adamw, constantLr } from "nbresume";\nimport { existsSync, readdirSync, writeFileSync } from "node:fs";',
    'let steps = 300;\nlet dir = "runs/sup";',
    "const data = await mnist();",
    "const run = resumable({ dir, model: mlpClassifier({ inputSize: 784, hidden: [128], classes: 10 }), data, optimizer: adamw(),\n" +
      "  schedule: constantLr(1e-3), steps, batchSize: 64, checkpointEvery: 50 });",
    TRAINING,
    'console.log("after training");',
  ]);
  const cells = code.cells.map((c, i) => (i === 1 ? { ...c, metadata: { tags: ["parameters"] } } : c));
  return { ...code, cells: [{ id: "title", cell_type: "markdown", metadata: {}, source: "# A training run" }, ...cells] };
}

/** The step of the last progress line the supervisor printed in `text`. */
function lastDisplayedStep(text: string): number | undefined {
  return text
    .split("\n")
    .map((line) => parseProgress(line)?.step)
    .filter((step): step is number => step !== undefined)
    .at(-1);
}

describe("nbresume run reports a crash", function () {
  this.timeout(240_000);
  let project: Project;
  let run: SupervisedRun & { exit: { code: number | null } };

  before(async function () {
    project = createProject("nbresume-supervisor-report-");
    const notebook = project.writeNotebook("trial.ipynb", usersNotebook());
    run = await SupervisedRun.run(project, [notebook, "--param", "steps=300", "--param", "dir=runs/sup", "--out", "trial.out.ipynb"]);
    assert.equal(run.exit.code, SupervisorExit.FINISHED, run.output);
  });

  after(function () {
    project?.remove();
  });

  it("with the step the training had reached: the newest checkpoint's, when the display still showed an earlier one", function () {
    const record = readExecuted(join(project.dir, "trial.out.ipynb")).metadata.nbresume?.run;
    assert.equal(record?.restarts.length, 1, run.output);
    const restart = record.restarts[0]!;
    assert.ok(restart.resumedFrom !== null && restart.resumedFrom >= 150 && restart.checkpoint !== null, JSON.stringify(restart));
    assert.ok(run.stderr.includes(msg.resumesFrom(restart.resumedFrom, restart.checkpoint)), run.output);

    // The first kernel's progress lines end where its second one's "Resuming at step …" begins.
    const firstKernel = run.stdout.slice(0, run.stdout.search(/^Resuming at step /m));
    const displayed = lastDisplayedStep(firstKernel);
    assert.ok(displayed !== undefined, `a progress line before the crash:\n${run.output}`);
    const where = msg.duringCell(cellName(5, 7, cellHeadline({ cell_type: "code", source: TRAINING })));
    const crashLine = run.stderr.split("\n").find((line) => line.startsWith("Kernel lost "));
    assert.equal(crashLine, msg.crashed(where, restart.reason, Math.max(displayed, restart.resumedFrom)), run.output);
  });

  it("numbering the lost cell the same in the executed notebook as on stderr: among the code cells, the injected one counted", function () {
    const restart = readExecuted(join(project.dir, "trial.out.ipynb")).metadata.nbresume?.run?.restarts[0];
    assert.ok(run.stderr.includes(`Kernel lost during cell 6 of 7 (`), run.output);
    assert.equal(restart?.cell, 6);
    assert.ok(run.stderr.includes(msg.parametersInjected(["steps", "dir"], 2)), run.output);
  });

  it("with an injected parameters cell that shows nothing, in the executed notebook and on stdout", function () {
    const executed = readExecuted(join(project.dir, "trial.out.ipynb"));
    const injected = executed.cells.filter((c: NotebookCell) => cellTags(c).includes(INJECTED_TAG));
    assert.equal(injected.length, 1);
    assert.deepEqual(injected[0]?.outputs, [], "no output");
    assert.equal(typeof injected[0]?.execution_count, "number", "the cell ran");
    // Nothing on stdout before what train() prints first (the injected cell would print "runs/sup", its last value).
    assert.ok(run.stdout.startsWith(`${runMessages.startingFromScratch("runs/sup")}\n`), run.output);
    const lines = run.stdout.split("\n");
    assert.ok(!lines.includes("runs/sup") && !lines.includes("300"), run.output);
  });

  it("with the parameters it was given recorded in the run's checkpoints, for `nbresume resume-command` to pass again", function () {
    const dir = join(project.dir, "runs", "sup");
    const final = readdirSync(dir).find((n) => /^ckpt-step-\d+-final$/.test(n));
    assert.ok(final !== undefined, readdirSync(dir).join(", "));
    const state = JSON.parse(readFileSync(join(dir, final, "state.json"), "utf8")) as { notebook?: { parameters?: unknown } };
    assert.deepEqual(state.notebook?.parameters, { steps: 300, dir: "runs/sup" });
  });
});

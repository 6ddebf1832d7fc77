/**
 * `nbresume run NOTEBOOK --param a=1 --param b=2`: --param may be given once per parameter (with
 * key=value arguments after the notebook too), every one reaches the notebook, and a --param that
 * is not key=value is a usage error saying what to type. The run itself is the real one: the CLI
 * in a child process, its own Jupyter server and the nbresume kernel.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cliMessages } from "../../src/cli/messages.js";
import { supervisorMessages as msg, SupervisorExit } from "../../src/supervisor/messages.js";
import { notebookWithCells } from "../support/nbconvert.js";
import { createProject, readExecuted, SupervisedRun, type Project } from "../supervisor/supervised-run.js";

describe("nbresume run --param, given once per parameter", function () {
  this.timeout(180_000);
  let project: Project;
  let notebook: string;

  before(function () {
    project = createProject("nbresume-run-params-");
    const nb = notebookWithCells(['let steps = 10;\nlet dir = "runs/default";\nlet lr = 0.1;', "console.log(JSON.stringify({ steps, dir, lr }));"]);
    notebook = project.writeNotebook("params.ipynb", { ...nb, cells: nb.cells.map((c, i) => (i === 0 ? { ...c, metadata: { tags: ["parameters"] } } : c)) });
  });

  after(function () {
    project?.remove();
  });

  it("injects every --param and every key=value argument, in order, a later value of a name winning", async function () {
    const run = await SupervisedRun.run(project, [notebook, "--param", "steps=500", "--param=dir=runs/long", "--param", "steps=600", "lr=0.001"]);
    assert.equal(run.exit.code, SupervisorExit.FINISHED, run.output);
    assert.ok(run.stderr.includes(msg.parametersInjected(["steps", "dir", "lr"], 1)), run.output);
    assert.equal(run.stdout.trim().split("\n").at(-1), JSON.stringify({ steps: 600, dir: "runs/long", lr: 0.001 }), run.output);
    assert.deepEqual(readExecuted(join(project.dir, "params.executed.ipynb")).metadata.nbresume?.run?.parameters, { steps: 600, dir: "runs/long", lr: 0.001 });
  });

  it("refuses a --param without '=' as bad usage (exit 2), saying to write key=value, one --param each, before starting anything", async function () {
    for (const args of [
      ["--param", "steps", "500"],
      ["--param", "steps=500", "--param", "dir"],
    ]) {
      const bad = args.at(-1) === "500" ? "steps" : "dir";
      const run = await SupervisedRun.run(project, [notebook, ...args]);
      assert.equal(run.exit.code, 2, run.output);
      const lines = run.stderr.trim().split("\n");
      assert.equal(lines[0], `nbresume: ${cliMessages.runParamNotKeyValue(bad)}`);
      assert.match(lines[1] ?? "", /^usage: nbresume run NOTEBOOK /);
      assert.ok(!run.stderr.includes("server"), `nothing was started:\n${run.output}`);
    }
  });

  it("names a repeated --param the parameters cell does not declare (every --param reaches the notebook's check)", async function () {
    const run = await SupervisedRun.run(project, [notebook, "--param", "steps=5", "--param", "stepz=6"]);
    assert.equal(run.exit.code, 1, run.output);
    assert.ok(run.stderr.includes(msg.parameterNotDeclared("stepz", 1, ["steps", "dir", "lr"])), run.output);
  });
});

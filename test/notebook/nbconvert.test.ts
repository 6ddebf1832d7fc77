/**
 * Headless execution with nbconvert (nbclient) and the nbresume kernel, for a notebook outside the
 * repository in a project where nbresume sits in node_modules — how a user who ran
 * `npm install nbresume` meets it (here node_modules/nbresume links to this checkout).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { JupyterEnv } from "../support/jupyter-server.js";
import { executeNotebook, notebookWithCells, NotebookExecutionFailed, streamText } from "../support/nbconvert.js";
import { createUserProject, type UserProject } from "../support/user-project.js";

const PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAEElEQVR4nGP4z8DAwPCfAQAK/AL+5sSyewAAAABJRU5ErkJggg==";

describe("notebooks executed headless with nbconvert and the nbresume kernel", function () {
  this.timeout(120_000);
  let user: UserProject | undefined;
  let project: string;
  let jupyter: JupyterEnv;

  before(function () {
    user = createUserProject("nbresume-user-project-");
    ({ dir: project, jupyter } = user);
  });

  after(function () {
    user?.remove();
  });

  it("runs every cell in the notebook's folder and keeps streams and image outputs", async function () {
    const nb = join(project, "demo.ipynb");
    writeFileSync(
      nb,
      JSON.stringify(
        notebookWithCells([
          `import { createDisplay, tensor } from "nbresume";\nconsole.log("elements", tensor("float32", [2, 3]).data.length, process.cwd());`,
          `createDisplay().show({ "image/png": Buffer.from("${PNG_BASE64}", "base64"), "text/plain": "a 2x1 image" });`,
        ]),
      ),
    );
    const executed = await executeNotebook(nb, { jupyter });
    const [first, second] = executed.cells;
    assert.ok(first !== undefined && second !== undefined);
    assert.equal(streamText(first, "stdout"), `elements 6 ${project}\n`);
    const display = (second.outputs ?? []).find((o) => o.output_type === "display_data");
    assert.ok(display?.data !== undefined, JSON.stringify(second.outputs));
    assert.equal(String(display.data["image/png"]).replace(/\s/g, ""), PNG_BASE64);
    const caption = display.data["text/plain"];
    assert.equal(Array.isArray(caption) ? caption.join("") : caption, "a 2x1 image");
  });

  it("fails the run on a cell with a type error; with allowErrors the cell's output names the error", async function () {
    const nb = join(project, "broken.ipynb");
    const source = `import { tensor } from "nbresume";\nconst n: number = tensor("float32", [1]);`;
    writeFileSync(nb, JSON.stringify(notebookWithCells([source, `console.log("after")`])));
    // tslab leaves ename/evalue empty, so nbclient's message names the cell but not the error.
    await assert.rejects(
      executeNotebook(nb, { jupyter }),
      (e: unknown) => e instanceof NotebookExecutionFailed && /CellExecutionError/.test(e.log) && e.log.includes(source),
    );
    const executed = await executeNotebook(nb, { jupyter, allowErrors: true });
    assert.match(streamText(executed.cells[0] ?? { cell_type: "code", source: "" }, "stderr"), /Type 'Tensor<"float32">' is not assignable to type 'number'/);
  });
});

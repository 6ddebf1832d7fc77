/**
 * Parameters papermill-style: parsing key=value, the cell injected after the one tagged
 * "parameters", the errors that name the cell and what it declares, and the run directory read
 * from the parameters (what the supervisor reads checkpoints from).
 */
import { createContext, runInContext } from "node:vm";
import assert from "node:assert/strict";
import { isNbresumeError } from "../../src/errors.js";
import { SupervisorErrorCode, supervisorMessages as msg } from "../../src/supervisor/messages.js";
import { cellSource, cellTags, type Notebook } from "../../src/supervisor/notebook-file.js";
import { INJECTED_TAG, injectParameters, parameterArgument, parseParameter, recordedParameters, stringParameter } from "../../src/supervisor/parameters.js";

function notebook(cells: { source: string; tags?: string[]; type?: string }[]): Notebook {
  return {
    cells: cells.map((c, i) => ({
      cell_type: c.type ?? "code",
      id: `c${i}`,
      metadata: c.tags === undefined ? {} : { tags: c.tags },
      source: c.source,
      outputs: [],
      execution_count: null,
    })),
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  };
}

const PARAMS = 'const smoke = process.env.NBRESUME_SMOKE === "1";\nlet steps = smoke ? 80 : 2000;\nlet dir = "runs/your-own-model";\nconst fixed = 3;';

describe("nbresume run parameters", function () {
  it("reads values that are JSON as those values and everything else as a string", function () {
    assert.deepEqual(parseParameter("steps=500"), { name: "steps", value: 500, literal: "500" });
    assert.deepEqual(parseParameter("lr=1e-3"), { name: "lr", value: 0.001, literal: "0.001" });
    assert.deepEqual(parseParameter("smoke=true"), { name: "smoke", value: true, literal: "true" });
    assert.deepEqual(parseParameter("dir=runs/long"), { name: "dir", value: "runs/long", literal: '"runs/long"' });
    assert.deepEqual(parseParameter('name="a b"'), { name: "name", value: "a b", literal: '"a b"' });
    assert.deepEqual(parseParameter("sizes=[1,2]"), { name: "sizes", value: [1, 2], literal: "[1,2]" });
    assert.deepEqual(parseParameter("empty="), { name: "empty", value: "", literal: '""' });
    assert.deepEqual(parseParameter("expr=a=b"), { name: "expr", value: "a=b", literal: '"a=b"' });
  });

  it("writes name=value so that parsing it gives the value back: JSON, and a string that would read as JSON quoted", function () {
    for (const value of [300, 1e-3, true, null, [1, 2], { a: 1 }, "runs/short", "300", "true", 'say "hi"'])
      assert.deepEqual(parseParameter(parameterArgument("p", value)).value, value, JSON.stringify(value));
    assert.equal(parameterArgument("dir", "runs/short"), "dir=runs/short");
  });

  it("rejects a parameter that is not key=value with a variable name, saying what it expects", function () {
    for (const bad of ["steps", "=5", "2x=1", "a-b=1", "a.b=1"]) {
      assert.throws(
        () => parseParameter(bad),
        (e: unknown) => e instanceof RangeError && e.message === msg.badParameter(bad),
        bad,
      );
    }
  });

  it("injects a cell tagged injected-parameters right after the parameters cell, assigning each value", function () {
    const nb = notebook([{ source: "import x;" }, { source: "text", type: "markdown" }, { source: PARAMS, tags: ["parameters"] }, { source: "train();" }]);
    const injection = injectParameters(nb, [parseParameter("steps=40"), parseParameter("dir=runs/short")], "nb.ipynb");
    assert.equal(injection.parametersCell, 2);
    assert.equal(injection.injectedCell, 3);
    assert.equal(injection.notebook.cells.length, 5);
    const injected = injection.notebook.cells[3]!;
    assert.deepEqual(cellTags(injected), [INJECTED_TAG]);
    assert.equal(
      cellSource(injected),
      `${msg.injectedCellComment()}\nsteps = 40;\ndir = "runs/short";\n${recordedParameters(injection.parameters)}\n${msg.injectedCellQuiet()}`,
    );
    // The run records what it was given: the cell hands it over as a plain object of the values.
    const given: unknown = runInContext(`${recordedParameters(injection.parameters)}\nglobalThis[Symbol.for("nbresume.parameters")];`, createContext({}));
    assert.equal(JSON.stringify(given), JSON.stringify({ steps: 40, dir: "runs/short" }));
    assert.equal(typeof injected.id, "string", "nbformat 4.5 cells need an id");
    assert.equal(cellSource(injection.notebook.cells[4]!), "train();");
    assert.equal(nb.cells.length, 4, "the source notebook is not changed");
  });

  it("replaces the injected cell of an earlier run (an executed notebook run again) and lets the last value of a name win", function () {
    const nb = notebook([{ source: PARAMS, tags: ["parameters"] }, { source: "steps = 1;", tags: [INJECTED_TAG] }, { source: "train();" }]);
    const injection = injectParameters(nb, [parseParameter("steps=40"), parseParameter("steps=50")], "nb.ipynb");
    assert.deepEqual(
      injection.notebook.cells.map((c) => cellSource(c)),
      [PARAMS, `${msg.injectedCellComment()}\nsteps = 50;\n${recordedParameters(injection.parameters)}\n${msg.injectedCellQuiet()}`, "train();"],
    );
    assert.deepEqual(
      injectParameters(nb, [], "nb.ipynb").notebook.cells.map((c) => cellSource(c)),
      [PARAMS, "train();"],
    );
  });

  it("names the file when parameters are given and no cell is tagged parameters", function () {
    const nb = notebook([{ source: "let steps = 5;" }]);
    assert.throws(
      () => injectParameters(nb, [parseParameter("steps=1")], "x/nb.ipynb"),
      (e: unknown) => isNbresumeError(e, SupervisorErrorCode.NO_PARAMETERS_CELL) && e.message === msg.noParametersCell("x/nb.ipynb", ["steps"]),
    );
    assert.equal(injectParameters(nb, [], "nb.ipynb").injectedCell, undefined, "without parameters the cell is not needed");
  });

  it("refuses a name the parameters cell does not declare, or declares with const, naming the cell (among the code cells) and what it declares", function () {
    const nb = notebook([{ source: "# title", type: "markdown" }, { source: "x" }, { source: PARAMS, tags: ["parameters"] }]);
    assert.throws(
      () => injectParameters(nb, [parseParameter("stepz=1")], "nb.ipynb"),
      (e: unknown) =>
        isNbresumeError(e, SupervisorErrorCode.BAD_PARAMETER) && e.message === msg.parameterNotDeclared("stepz", 2, ["smoke", "steps", "dir", "fixed"]),
    );
    assert.throws(
      () => injectParameters(nb, [parseParameter("fixed=1")], "nb.ipynb"),
      (e: unknown) => isNbresumeError(e, SupervisorErrorCode.BAD_PARAMETER) && e.message === msg.parameterIsConst("fixed", 2),
    );
  });

  it("knows the run directory from --param dir, else from the cell's string literal, else not at all", function () {
    const nb = notebook([{ source: PARAMS, tags: ["parameters"] }]);
    assert.equal(stringParameter(injectParameters(nb, [], "nb.ipynb"), "dir"), "runs/your-own-model");
    assert.equal(stringParameter(injectParameters(nb, [parseParameter("dir=runs/b")], "nb.ipynb"), "dir"), "runs/b");
    assert.equal(stringParameter(injectParameters(nb, [parseParameter("dir=5")], "nb.ipynb"), "dir"), undefined);
    const single = notebook([{ source: "let dir: string = 'it\\'s';", tags: ["parameters"] }]);
    assert.equal(stringParameter(injectParameters(single, [], "nb.ipynb"), "dir"), "it's");
    const computed = notebook([{ source: 'let dir = smoke ? "a" : "b";', tags: ["parameters"] }]);
    assert.equal(stringParameter(injectParameters(computed, [], "nb.ipynb"), "dir"), undefined);
    assert.equal(stringParameter(injectParameters(notebook([{ source: "x" }]), [], "nb.ipynb"), "dir"), undefined);
  });
});

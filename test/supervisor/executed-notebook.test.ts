/** The executed notebook: outputs of each cell's newest run, what the supervisor saw, written whole. */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutedNotebook } from "../../src/supervisor/executed-notebook.js";
import { parseNotebook, type Notebook } from "../../src/supervisor/notebook-file.js";

const SOURCE: Notebook = {
  cells: [
    { cell_type: "markdown", id: "m", metadata: {}, source: ["# Title\n", "text"] },
    {
      cell_type: "code",
      id: "a",
      metadata: { tags: ["x"] },
      source: "1",
      outputs: [{ output_type: "stream", name: "stdout", text: "stale\n" }],
      execution_count: 4,
    },
    { cell_type: "code", id: "b", metadata: {}, source: "2", outputs: [], execution_count: null },
  ],
  metadata: { kernelspec: { name: "nbresume" }, nbresume: { other: 1 } },
  nbformat: 4,
  nbformat_minor: 5,
};

describe("the executed notebook", function () {
  let dir: string;
  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "nbresume-executed-"));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts code cells empty, keeps everything else, and records the run in metadata.nbresume.run", function () {
    const out = join(dir, "nb.executed.ipynb");
    const nb = new ExecutedNotebook(SOURCE, out, { kernel: "nbresume", parameters: { steps: 5 } });
    assert.deepEqual(nb.codeCells(), [1, 2]);
    nb.setCell(1, [{ output_type: "stream", name: "stdout", text: "1\n" }], 1);
    nb.recordRestart({ at: "2026-01-01T00:00:00.000Z", cell: 2, reason: "the kernel died", resumedFrom: 30, checkpoint: "ckpt-step-00000030-rolling" });
    nb.finish("finished");
    nb.write();
    const written = parseNotebook(readFileSync(out, "utf8"), out);
    assert.deepEqual(written.cells[0], SOURCE.cells[0]);
    assert.deepEqual(written.cells[1], { ...SOURCE.cells[1], outputs: [{ output_type: "stream", name: "stdout", text: "1\n" }], execution_count: 1 });
    assert.deepEqual(written.cells[2], { ...SOURCE.cells[2], outputs: [], execution_count: null });
    const meta = written.metadata["nbresume"] as { other: number; run: Record<string, unknown> };
    assert.equal(meta.other, 1, "metadata the notebook had under nbresume is kept");
    assert.equal(meta.run["status"], "finished");
    assert.deepEqual(meta.run["parameters"], { steps: 5 });
    assert.deepEqual(meta.run["restarts"], [
      { at: "2026-01-01T00:00:00.000Z", cell: 2, reason: "the kernel died", resumedFrom: 30, checkpoint: "ckpt-step-00000030-rolling" },
    ]);
    assert.deepEqual(readdirSync(dir), ["nb.executed.ipynb"], "no temp file left behind");
  });

  it("replaces an existing file whole, and writes during a cell only when the last write is old enough", function () {
    const out = join(dir, "nb.executed.ipynb");
    writeFileSync(out, "old");
    const nb = new ExecutedNotebook(SOURCE, out, { kernel: "nbresume", parameters: {} });
    nb.writeIfDue();
    const first = readFileSync(out, "utf8");
    assert.notEqual(first, "old");
    nb.setCell(2, [{ output_type: "stream", name: "stdout", text: "new\n" }], 2);
    nb.writeIfDue();
    assert.equal(readFileSync(out, "utf8"), first, "a second write within WRITE_EVERY_MS waits");
    nb.write();
    assert.match(readFileSync(out, "utf8"), /new\\n/);
  });

  it("throws when the folder cannot take the file, leaving nothing behind", function () {
    const nb = new ExecutedNotebook(SOURCE, join(dir, "missing", "nb.ipynb"), { kernel: "nbresume", parameters: {} });
    assert.throws(
      () => nb.write(),
      (e: unknown) => (e as NodeJS.ErrnoException).code === "ENOENT",
    );
    assert.deepEqual(readdirSync(dir), []);
  });
});

/** A cell's outputs built from iopub messages as nbclient builds them. */
import assert from "node:assert/strict";
import { CellOutputs } from "../../src/supervisor/cell-outputs.js";
import type { IOPubMessage } from "../../src/supervisor/jupyter.js";

const m = (msgType: string, content: Record<string, unknown>): IOPubMessage => ({ msgType, content });

describe("a cell's outputs", function () {
  it("joins consecutive stream text of one name and starts a new output when the name changes", function () {
    const o = new CellOutputs();
    o.apply(m("stream", { name: "stdout", text: "a\n" }));
    o.apply(m("stream", { name: "stdout", text: "b\n" }));
    o.apply(m("stream", { name: "stderr", text: "oops\n" }));
    o.apply(m("stream", { name: "stdout", text: "c\n" }));
    assert.deepEqual(o.list(), [
      { output_type: "stream", name: "stdout", text: "a\nb\n" },
      { output_type: "stream", name: "stderr", text: "oops\n" },
      { output_type: "stream", name: "stdout", text: "c\n" },
    ]);
    assert.equal(o.text("stdout"), "a\nb\nc\n");
  });

  it("replaces a display in place when update_display_data names its display id, and ignores unknown ids", function () {
    const o = new CellOutputs();
    o.apply(m("display_data", { data: { "text/plain": "step 1" }, metadata: {}, transient: { display_id: "live" } }));
    o.apply(m("display_data", { data: { "image/png": "iVBOR" }, metadata: { width: 2 } }));
    assert.equal(o.apply(m("update_display_data", { data: { "text/plain": "step 9" }, metadata: {}, transient: { display_id: "live" } })), true);
    assert.equal(o.apply(m("update_display_data", { data: { "text/plain": "x" }, metadata: {}, transient: { display_id: "other" } })), false);
    assert.deepEqual(o.list(), [
      { output_type: "display_data", data: { "text/plain": "step 9" }, metadata: {} },
      { output_type: "display_data", data: { "image/png": "iVBOR" }, metadata: { width: 2 } },
    ]);
  });

  it("keeps execute results and errors, and the execution count from execute_input", function () {
    const o = new CellOutputs();
    o.apply(m("execute_input", { code: "1+1", execution_count: 7 }));
    o.apply(m("execute_result", { data: { "text/plain": "2" }, metadata: {} }));
    o.apply(m("error", { ename: "Error", evalue: "boom", traceback: ["Error: boom", "  at x"] }));
    o.apply(m("status", { execution_state: "idle" }));
    assert.equal(o.executionCount, 7);
    assert.deepEqual(o.list(), [
      { output_type: "execute_result", execution_count: 7, data: { "text/plain": "2" }, metadata: {} },
      { output_type: "error", ename: "Error", evalue: "boom", traceback: ["Error: boom", "  at x"] },
    ]);
  });

  it("clears at once on clear_output, and at the next output with wait=true", function () {
    const o = new CellOutputs();
    o.apply(m("stream", { name: "stdout", text: "old\n" }));
    o.apply(m("clear_output", { wait: true }));
    assert.equal(o.list().length, 1, "wait=true keeps the old output until a new one comes");
    o.apply(m("stream", { name: "stdout", text: "new\n" }));
    assert.deepEqual(o.list(), [{ output_type: "stream", name: "stdout", text: "new\n" }]);
    o.apply(m("clear_output", { wait: false }));
    assert.deepEqual(o.list(), []);
  });
});
